import test from 'ava';
import type { OperationResult } from '../../src/lwm2m/management/operation.js';
import type { QueuedRequest } from '../../src/store/types.js';
import { eventually, sleep, startTestServer } from '../helpers/management.js';

/**
 * Issue "Device management": a queue-mode device sleeps, wakes and receives three queued
 * requests in order; their results are in GET /api/v1/requests/{id} and `request-result` events.
 */
test('three requests queued while asleep are delivered in order at wake-up, with results', async (t) => {
  const s = await startTestServer({ queue: { awakeWindowMs: 2000, ttlMs: 60_000 } });
  t.teardown(() => s.stop());
  const d = await s.device({ endpoint: 'sleeper', lwm2mVersion: '1.1', queueMode: true });
  const events = await s.events('?ep=sleeper&type=request-queued,request-result');
  d.sleep();
  await sleep(2100); // the server's awake window passes: it considers the device asleep

  const submitted = [
    await s.api<{ queued: boolean; requestId: string }>('PUT', '/api/v1/devices/sleeper/objects/3/0/14', { value: '+09:00' }),
    await s.api<{ queued: boolean; requestId: string }>('GET', '/api/v1/devices/sleeper/objects/3/0/14'),
    await s.api<{ queued: boolean; requestId: string }>('POST', '/api/v1/devices/sleeper/objects/3/0/4/execute', { args: '5' }),
  ];
  for (const r of submitted) {
    t.is(r.status, 202);
    t.true(r.body.queued);
    t.regex(r.body.requestId, /^[0-9a-f]{16}$/);
  }
  t.is(d.requests.length, 0, 'nothing reached the sleeping device');
  for (let i = 0; i < 3; i++) await events.next((e) => e.type === 'request-queued');
  const pending = await s.api<QueuedRequest>('GET', `/api/v1/requests/${submitted[0]!.body.requestId}`);
  t.is(pending.body.status, 'pending');

  await d.wake();
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await events.next((e) => e.type === 'request-result'));
  t.deepEqual(results.map((e) => (e.data.request as QueuedRequest).id), submitted.map((r) => r.body.requestId));
  t.deepEqual(d.requests.map((r) => `${r.method} ${r.path}`), ['PUT /3/0/14', 'GET /3/0/14', 'POST /3/0/4']);
  t.deepEqual(d.executed.map((e) => e.args), ['5']);

  const finished = await Promise.all(submitted.map((r) => s.api<QueuedRequest>('GET', `/api/v1/requests/${r.body.requestId}`)));
  t.deepEqual(finished.map((f) => f.body.status), ['succeeded', 'succeeded', 'succeeded']);
  const read = finished[1]!.body.result as unknown as OperationResult;
  t.deepEqual(read.values, [{ path: '/3/0/14', value: { type: 'string', value: '+09:00' } }], 'the read saw the write queued before it');
  t.is((finished[2]!.body.result as unknown as OperationResult).code, '2.04');
});

test('while awake, requests to a queue-mode device go straight through (200)', async (t) => {
  const s = await startTestServer({ queue: { awakeWindowMs: 30_000 } });
  t.teardown(() => s.stop());
  await s.device({ endpoint: 'awake', lwm2mVersion: '1.1', queueMode: true });
  const res = await s.api<OperationResult>('GET', '/api/v1/devices/awake/objects/3/0/9');
  t.is(res.status, 200);
  t.deepEqual(res.body.values?.[0]?.value, { type: 'integer', value: 87 });
});

test('a queued request that fails on the device is reported as failed with the device code', async (t) => {
  const s = await startTestServer({ queue: { awakeWindowMs: 1000 } });
  t.teardown(() => s.stop());
  const d = await s.device({ endpoint: 'sleeper-err', lwm2mVersion: '1.1', queueMode: true });
  d.sleep();
  await sleep(1100);
  const r = await s.api<{ requestId: string }>('GET', '/api/v1/devices/sleeper-err/objects/3/9');
  t.is(r.status, 202);
  await d.wake();
  const done = await eventually(async () => {
    const q = await s.api<QueuedRequest>('GET', `/api/v1/requests/${r.body.requestId}`);
    return q.body.status === 'failed' ? q.body : undefined;
  });
  t.is((done.result as unknown as OperationResult).code, '4.04');
});
