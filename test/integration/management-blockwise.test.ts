import test from 'ava';
import { randomBytes } from 'node:crypto';
import type { OperationResult } from '../../src/lwm2m/management/operation.js';
import type { StoredValue } from '../../src/store/types.js';
import { blobModel, BLOB_OBJECT } from './helpers/blob-model.js';
import { startTestServer } from '../helpers/management.js';

/** Issue "Device management": block-wise both ways (RFC 7959), through the API. */
test('a 3 KB opaque resource is read with Block2 and written with Block1, and the store keeps it', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.stop());
  await blobModel(s);
  const data = randomBytes(3000);
  const d = await s.device({ endpoint: 'blocks-3k', lwm2mVersion: '1.1', objects: [{ objectId: BLOB_OBJECT, values: { 0: { type: 'opaque', value: data } } }] });
  const serverIn = s.server.coap.stats().datagramsIn;
  let res = await s.api<OperationResult>('GET', `/api/v1/devices/blocks-3k/objects/${BLOB_OBJECT}/0/0`);
  t.is(res.status, 200, JSON.stringify(res.body).slice(0, 300));
  t.is(res.body.format, 42);
  t.is(res.body.values![0]!.value.value, data.toString('base64'));
  t.true(s.server.coap.stats().datagramsIn - serverIn >= 3, 'three 1024-byte blocks');

  const upload = randomBytes(3000);
  const blocksBefore = d.coapStats().datagramsIn;
  res = await s.api<OperationResult>('PUT', `/api/v1/devices/blocks-3k/objects/${BLOB_OBJECT}/0/0`, { value: upload.toString('base64') });
  t.is(res.status, 200, JSON.stringify(res.body).slice(0, 300));
  t.true(d.coapStats().datagramsIn - blocksBefore >= 3, 'the write came in three Block1 blocks');
  t.deepEqual(Buffer.from(d.value(`/${BLOB_OBJECT}/0/0`)!.value as Uint8Array), upload);
  t.is(d.requests.at(-1)!.payload.length, 3000, 'reassembled before the handler saw it');

  const stored = await s.api<{ values: StoredValue[] }>('GET', `/api/v1/devices/blocks-3k/values/${BLOB_OBJECT}/0/0`);
  t.is((stored.body.values[0]!.value as { value: string }).value, upload.toString('base64'));
});

test('a 3 KB string resource both ways in text and in SenML JSON', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.stop());
  await blobModel(s);
  const text = 'x'.repeat(1000) + 'y'.repeat(1000) + 'z'.repeat(1000);
  const d = await s.device({ endpoint: 'blocks-text', lwm2mVersion: '1.1', objects: [{ objectId: BLOB_OBJECT, values: { 1: { type: 'string', value: text } } }] });
  for (const format of [0, 110]) {
    const res = await s.api<OperationResult>('GET', `/api/v1/devices/blocks-text/objects/${BLOB_OBJECT}/0/1?format=${format}`);
    t.is(res.status, 200);
    t.is(res.body.values![0]!.value.value, (d.value(`/${BLOB_OBJECT}/0/1`) as { value: string }).value);
    t.is((res.body.values![0]!.value.value as string).length, format === 0 ? 3000 : 3002);
    const back = `${format}:${text.split('').reverse().join('')}`;
    const w = await s.api<OperationResult>('PUT', `/api/v1/devices/blocks-text/objects/${BLOB_OBJECT}/0/1?format=${format}`, { value: back });
    t.is(w.status, 200);
    t.deepEqual(d.value(`/${BLOB_OBJECT}/0/1`), { type: 'string', value: back });
  }
});

test('a device using 16-byte blocks: reads come in 16-byte Block2 blocks, its Send goes out in 16-byte Block1 blocks', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.stop());
  const d = await s.device({ endpoint: 'blocks-16', lwm2mVersion: '1.1', coap: { BLOCK_SIZE: 16 } });
  const out0 = d.coapStats().datagramsOut;
  const res = await s.api<OperationResult>('GET', '/api/v1/devices/blocks-16/objects/3/0?format=11542');
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is(res.body.values!.find((v) => v.path === '/3/0/2')?.value.value, 'SN-blocks-16');
  const blocks = d.coapStats().datagramsOut - out0;
  t.true(blocks > 8, `${blocks} datagrams for the instance`);

  const events = await s.events('?ep=blocks-16&type=send');
  const out1 = d.coapStats().datagramsOut;
  const sent = await d.send(['/3/0'], { format: 110 });
  t.is(sent.code, '2.04');
  t.true(d.coapStats().datagramsOut - out1 > 10, 'the Send went out in many blocks');
  const e = await events.next(() => true);
  t.true((e.data.values as { path: string }[]).some((v) => v.path === '/3/0/0'));
});

test('an observed 16-byte-block device: a large notification is reassembled and stored', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.stop());
  const d = await s.device({ endpoint: 'blocks-obs', lwm2mVersion: '1.1', coap: { BLOCK_SIZE: 16 } });
  const events = await s.events('?ep=blocks-obs&type=notification');
  const res = await s.api<OperationResult>('POST', '/api/v1/devices/blocks-obs/objects/3/0/observe?format=11542');
  t.is(res.status, 200, JSON.stringify(res.body));
  d.setValue('/3/0/9', { type: 'integer', value: 12 });
  const e = await events.next((x) => JSON.stringify(x.data.values).includes('"/3/0/9","value":{"type":"integer","value":12}'));
  t.true((e.data.values as unknown[]).length > 15);
});
