import test from 'ava';
import { valueToJson } from '../../src/content/value-json.js';
import { parsePath } from '../../src/content/path.js';
import type { OperationResult } from '../../src/lwm2m/management/operation.js';
import type { SimulatedDevice } from '../../src/sim/simulated-device.js';
import type { StoredValue } from '../../src/store/types.js';
import { blobModel, BLOB_OBJECT } from './helpers/blob-model.js';
import { startTestServer, type TestServer } from '../helpers/management.js';

/**
 * Issue "Device management", done-when: every operation in every content format, through the
 * HTTP API, against our simulated client on a real socket. These cover Read.
 */
let s: TestServer;
let device: SimulatedDevice;
const EP = 'read-all-formats';

test.before(async () => {
  s = await startTestServer();
  await blobModel(s);
  device = await s.device({
    endpoint: EP,
    lwm2mVersion: '1.2',
    supportedFormats: [110, 112, 11543, 11544],
    objects: [{ objectId: 3 }, { objectId: 3303 }, { objectId: BLOB_OBJECT, values: { 0: { type: 'opaque', value: Buffer.from([1, 2, 3, 250]) }, 1: { type: 'string', value: 'hello' } } }],
  });
});
test.after.always(() => s?.stop());

const expected = (path: string) => device.tree.values(parsePath(path)).map((v) => ({ path: fmt(v.path), value: valueToJson(v.value) }));
const fmt = (p: { objectId?: number; instanceId?: number; resourceId?: number; resourceInstanceId?: number }) =>
  `/${[p.objectId, p.instanceId, p.resourceId, p.resourceInstanceId].filter((x) => x !== undefined).join('/')}`;

const MULTI = [11542, 110, 112, 11543, 11544];
const KINDS = [
  ['object', '3'],
  ['instance', '3/0'],
  ['resource', '3/0/0'],
  ['multiple resource', '3/0/6'],
  ['resource instance', '3/0/6/1'],
] as const;

for (const format of MULTI) {
  for (const [kind, path] of KINDS) {
    test.serial(`Read of a ${kind} in Content-Format ${format}`, async (t) => {
      const before = device.requests.length;
      const res = await s.api<OperationResult>('GET', `/api/v1/devices/${EP}/objects/${path}?format=${format}`);
      t.is(res.status, 200, JSON.stringify(res.body));
      t.is(res.body.code, '2.05');
      t.is(res.body.format, format);
      t.deepEqual(res.body.values, expected(`/${path}`));
      const req = device.requests[before]!;
      t.is(req.method, 'GET');
      t.is(req.path, `/${path}`);
      t.is(req.accept, format);
    });
  }
}

for (const format of [0, 60]) {
  for (const path of ['3/0/9', '3/0/6/0', '3303/0/5700', '3/0/13']) {
    test.serial(`Read of one value (${path}) in Content-Format ${format}`, async (t) => {
      const res = await s.api<OperationResult>('GET', `/api/v1/devices/${EP}/objects/${path}?format=${format}`);
      t.is(res.status, 200, JSON.stringify(res.body));
      t.is(res.body.format, format);
      t.deepEqual(res.body.values, expected(`/${path}`));
    });
  }
  test.serial(`Read of an instance in single-value format ${format} is refused by the device with 4.06`, async (t) => {
    const res = await s.api<OperationResult>('GET', `/api/v1/devices/${EP}/objects/3/0?format=${format}`);
    t.is(res.status, 502);
    t.is(res.body.code, '4.06');
    t.is(res.body.error?.code, 'LWM2M_ERR_DEVICE_ERROR');
  });
}

test.serial('Read of an opaque resource in octet-stream (42), its default from 1.1 on', async (t) => {
  for (const q of ['?format=42', '']) {
    const res = await s.api<OperationResult>('GET', `/api/v1/devices/${EP}/objects/${BLOB_OBJECT}/0/0${q}`);
    t.is(res.status, 200, JSON.stringify(res.body));
    t.is(res.body.format, 42);
    t.deepEqual(res.body.values, [{ path: `/${BLOB_OBJECT}/0/0`, value: { type: 'opaque', value: Buffer.from([1, 2, 3, 250]).toString('base64') } }]);
  }
});

test.serial('Without ?format= the server picks per device: LwM2M CBOR for several values of a 1.2 device, text for one', async (t) => {
  let res = await s.api<OperationResult>('GET', `/api/v1/devices/${EP}/objects/3/0`);
  t.is(res.body.format, 11544);
  res = await s.api<OperationResult>('GET', `/api/v1/devices/${EP}/objects/3/0/9`);
  t.is(res.body.format, 0);
});

test.serial('values read are in the object store with source "read", newest first in history', async (t) => {
  device.setValue('/3303/0/5700', { type: 'float', value: 30.5 });
  await s.api('GET', `/api/v1/devices/${EP}/objects/3303/0/5700`);
  const latest = await s.api<{ values: StoredValue[] }>('GET', `/api/v1/devices/${EP}/values/3303/0/5700`);
  t.is(latest.status, 200);
  t.deepEqual(latest.body.values.map((v) => [v.path, v.value, v.source]), [['/3303/0/5700', { type: 'float', value: 30.5 }, 'read']]);
  const hist = await s.api<{ history: StoredValue[] }>('GET', `/api/v1/devices/${EP}/values/3303/0/5700/history`);
  t.true(hist.body.history.length >= 2);
  t.deepEqual(hist.body.history[0]!.value, { type: 'float', value: 30.5 });
  t.true(hist.body.history.some((h) => (h.value as { value: number }).value === 21.5));
  // since/until take the forms of the fleet history and the audit log: a duration ago, ISO, epoch ms.
  const count = async (q: string): Promise<number> => (await s.api<{ history: StoredValue[] }>('GET', `/api/v1/devices/${EP}/values/3303/0/5700/history?${q}`)).body.history.length;
  t.is(await count('since=1h'), hist.body.history.length);
  t.is(await count(`since=${new Date(Date.now() + 60_000).toISOString()}`), 0);
  t.is(await count(`until=${Date.now() - 3_600_000}`), 0);
  const bad = await s.api<{ error: { code: string; message: string } }>('GET', `/api/v1/devices/${EP}/values/3303/0/5700/history?since=yesterday`);
  t.deepEqual([bad.status, bad.body.error.code], [400, 'LWM2M_ERR_BAD_API_REQUEST']);
  t.regex(bad.body.error.message, /since must be epoch ms, ISO 8601 or a duration like 15m, 2h, 7d/);
});

test.serial('device errors come back as results with clear codes: 4.04 unknown path, 4.05 executable, 4.06 format', async (t) => {
  let res = await s.api<OperationResult>('GET', `/api/v1/devices/${EP}/objects/3/5`);
  t.is(res.status, 502);
  t.is(res.body.code, '4.04');
  t.regex(res.body.error!.message, /4\.04/);
  res = await s.api<OperationResult>('GET', `/api/v1/devices/${EP}/objects/3/0/4`);
  t.is(res.body.code, '4.05');
  res = await s.api<OperationResult>('GET', `/api/v1/devices/nobody/objects/3/0`);
  t.is(res.status, 404);
  t.is(res.body.error?.code, 'LWM2M_ERR_UNKNOWN_DEVICE');
});

test.serial('devices with a 255-character endpoint name (with / and %) or one with spaces and accents are managed through the API; URLs the router refuses get the API error shape', async (t) => {
  const ep = `urn:dev:a%b/${'x'.repeat(243)}`;
  t.is(ep.length, 255);
  await s.device({ endpoint: ep, lwm2mVersion: '1.1' });
  const res = await s.api<OperationResult>('GET', `/api/v1/devices/${encodeURIComponent(ep)}/objects/3/0/9`);
  t.is(res.status, 200, JSON.stringify(res.body));
  t.deepEqual(res.body.values?.[0]?.value, { type: 'integer', value: 87 });
  const device = await s.api<{ endpoint: string }>('GET', `/api/v1/devices/${encodeURIComponent(ep)}`);
  t.is(device.body.endpoint, ep);
  // Spaces and non-ASCII letters are endpoint names too (the rule bootstrap and provisioning apply).
  const spaced = 'capteur é 1';
  await s.device({ endpoint: spaced, lwm2mVersion: '1.1' });
  const read = await s.api<OperationResult>('GET', `/api/v1/devices/${encodeURIComponent(spaced)}/objects/3/0/9`);
  t.is(read.status, 200, JSON.stringify(read.body));
  for (const url of [`/api/v1/devices/${'y'.repeat(1100)}`, '/api/v1/devices/%E0%A4%A/objects/3', '/api/v1/devices//requests', '/api/v1/devices//objects/3/0/9', '/api/v1/devices//values']) {
    const bad = await s.api<{ error: { code: string; message: string } }>('GET', url);
    t.is(bad.status, 400, url.slice(0, 40));
    t.is(bad.body.error.code, 'LWM2M_ERR_BAD_API_REQUEST');
  }
});
