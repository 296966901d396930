import test from 'ava';
import type { OperationResult } from '../../src/lwm2m/management/operation.js';
import type { SimulatedDevice } from '../../src/sim/simulated-device.js';
import type { StoredValue } from '../../src/store/types.js';
import { startTestServer, type TestServer } from '../helpers/management.js';

/** Issue "Device management": Write, Execute, Create, Delete, Discover, Write-Attributes, composite. */
let s: TestServer;
let d11: SimulatedDevice;
let d10: SimulatedDevice;

test.before(async () => {
  s = await startTestServer();
  d11 = await s.device({ endpoint: 'w-11', lwm2mVersion: '1.1', supportedFormats: [110, 112, 11543] });
  d10 = await s.device({ endpoint: 'w-10', lwm2mVersion: '1.0' });
});
test.after.always(() => s?.stop());

const last = (d: SimulatedDevice) => d.requests[d.requests.length - 1]!;

for (const format of [0, 11542, 110, 112, 11543, 60]) {
  test.serial(`Write replace of a resource in Content-Format ${format}`, async (t) => {
    const tz = `Zone/F${format}`;
    const res = await s.api<OperationResult>('PUT', `/api/v1/devices/w-11/objects/3/0/15?format=${format}`, { value: tz });
    t.is(res.status, 200, JSON.stringify(res.body));
    t.is(res.body.code, '2.04');
    t.is(last(d11).method, 'PUT');
    t.is(last(d11).contentFormat, format);
    t.deepEqual(d11.value('/3/0/15'), { type: 'string', value: tz });
  });
}

for (const format of [11542, 110, 112, 11543]) {
  test.serial(`Write update (POST) of an instance in Content-Format ${format} keeps other resources`, async (t) => {
    await s.api('PUT', `/api/v1/devices/w-11/objects/3/0/14`, { value: '+05:00' });
    const res = await s.api<OperationResult>('PUT', `/api/v1/devices/w-11/objects/3/0?mode=update&format=${format}`, { resources: { 15: `Zone/U${format}` } });
    t.is(res.status, 200, JSON.stringify(res.body));
    t.is(last(d11).method, 'POST');
    t.deepEqual(d11.value('/3/0/15'), { type: 'string', value: `Zone/U${format}` });
    t.deepEqual(d11.value('/3/0/14'), { type: 'string', value: '+05:00' });
  });
}

test.serial('Write of a boolean resource; the object store keeps what was written with source "write"', async (t) => {
  t.is((await s.api('PUT', '/api/v1/devices/w-11/objects/3311/0/5850', { value: true })).status, 200);
  t.deepEqual(d11.value('/3311/0/5850'), { type: 'boolean', value: true });
  const stored = await s.api<{ values: StoredValue[] }>('GET', '/api/v1/devices/w-11/values/3311/0/5850');
  t.deepEqual(stored.body.values.map((v) => [v.value, v.source]), [[{ type: 'boolean', value: true }, 'write']]);
});

test.serial('Write bodies that are not what the path takes are 400s and reach no device', async (t) => {
  const before = d11.requests.length;
  for (const [path, body, message] of [
    // An array: `'values' in []` holds through Array.prototype, which once sent it down the multiple-resource path.
    ['3/0/14', [1, 2], 'the request body must be a JSON object'],
    ['3/0/9', { value: 'abc' }, '/3/0/9 is an integer resource; "abc" is not a valid integer'],
    ['3/0/9', { value: 1.5 }, '/3/0/9 is an integer resource'],
  ] as const) {
    const res = await s.api<{ error: { code: string; message: string } }>('PUT', `/api/v1/devices/w-11/objects/${path}`, body);
    t.is(res.status, 400, JSON.stringify(res.body));
    t.is(res.body.error.code, 'LWM2M_ERR_BAD_PAYLOAD');
    t.true(res.body.error.message.startsWith(message), res.body.error.message);
  }
  t.is(d11.requests.length, before);
});

test.serial('Write to a read-only resource: the device answers 4.05, the API says so', async (t) => {
  const res = await s.api<OperationResult>('PUT', '/api/v1/devices/w-11/objects/3/0/9', { value: 5 });
  t.is(res.status, 502);
  t.is(res.body.code, '4.05');
  t.is(res.body.error?.code, 'LWM2M_ERR_DEVICE_ERROR');
});

test.serial('Execute with arguments reaches the device; a non-executable resource is 4.05', async (t) => {
  let res = await s.api<OperationResult>('POST', '/api/v1/devices/w-11/objects/3/0/4/execute', { args: "0='reboot',1" });
  t.is(res.status, 200);
  t.is(res.body.code, '2.04');
  t.deepEqual(d11.executed.at(-1), { path: '/3/0/4', args: "0='reboot',1", at: d11.executed.at(-1)!.at });
  res = await s.api<OperationResult>('POST', '/api/v1/devices/w-11/objects/3303/0/5605/execute');
  t.is(res.status, 200);
  t.is(d11.executed.at(-1)!.args, '');
  res = await s.api<OperationResult>('POST', '/api/v1/devices/w-11/objects/3/0/9/execute', {});
  t.is(res.body.code, '4.05');
});

test.serial('Create with an instance id and without one (the device picks; Location-Path), then Delete', async (t) => {
  let res = await s.api<OperationResult>('POST', '/api/v1/devices/w-11/objects/3303', { id: 12, resources: { 5700: 18.5, 5701: 'Cel' } });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is(res.body.code, '2.01');
  t.is(res.body.location, '/3303/12');
  t.deepEqual(d11.value('/3303/12/5700'), { type: 'float', value: 18.5 });
  res = await s.api<OperationResult>('POST', '/api/v1/devices/w-11/objects/3303', { resources: { 5700: 19 } });
  t.is(res.body.code, '2.01');
  t.is(res.body.location, '/3303/1');
  t.is(last(d11).contentFormat, 11542, 'without an id the server writes TLV');
  t.deepEqual(d11.value('/3303/1/5700'), { type: 'float', value: 19 });
  // The device tells the server about its new instances with an Update.
  await waitForLinks(s, 'w-11', '/3303/12');
  res = await s.api<OperationResult>('DELETE', '/api/v1/devices/w-11/objects/3303/12');
  t.is(res.body.code, '2.02');
  t.false(d11.tree.exists({ objectId: 3303, instanceId: 12 }));
  res = await s.api<OperationResult>('DELETE', '/api/v1/devices/w-11/objects/3303/12');
  t.is(res.body.code, '4.04');
});

async function waitForLinks(srv: TestServer, ep: string, link: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const dev = await srv.api<{ objects: { path: string }[] }>('GET', `/api/v1/devices/${ep}`);
    if (dev.body.objects.some((o) => o.path === link)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${link} never appeared in the registration of ${ep}`);
}

test.serial('Write-Attributes then Discover shows them, with dim for multiple resources', async (t) => {
  let res = await s.api<OperationResult>('PUT', '/api/v1/devices/w-11/objects/3303/0/5700/attributes', { pmin: 2, pmax: 30, gt: 25.5, st: 0.5 });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.deepEqual(last(d11).query, ['pmin=2', 'pmax=30', 'gt=25.5', 'st=0.5']);
  t.deepEqual(d11.attributes.at({ objectId: 3303, instanceId: 0, resourceId: 5700 }), { pmin: 2, pmax: 30, gt: 25.5, st: 0.5 });
  res = await s.api<OperationResult>('PUT', '/api/v1/devices/w-11/objects/3303/0/5700/attributes', { pmin: null });
  t.deepEqual(last(d11).query, ['pmin']);
  res = await s.api<OperationResult>('GET', '/api/v1/devices/w-11/objects/3303/0/discover');
  t.is(res.status, 200);
  t.deepEqual(res.body.links?.find((l) => l.path === '/3303/0/5700'), { path: '/3303/0/5700', attributes: { pmax: 30, gt: 25.5, st: 0.5 } });
  res = await s.api<OperationResult>('GET', '/api/v1/devices/w-11/objects/3/discover');
  t.is(res.body.links?.[0]?.ver, '1.2');
  t.is(res.body.links?.find((l) => l.path === '/3/0/6')?.dim, 2);
  res = await s.api<OperationResult>('PUT', '/api/v1/devices/w-11/objects/3303/0/5700/attributes', { pmin: 50 });
  t.is(res.body.code, '4.00', 'pmin above the pmax the device holds');
});

for (const format of [110, 112]) {
  test.serial(`Read-Composite and Write-Composite in Content-Format ${format}`, async (t) => {
    let res = await s.api<OperationResult>('POST', `/api/v1/devices/w-11/composite/read?format=${format}`, { paths: ['/3/0/9', '/3303/0', '/3311/0/5851'] });
    t.is(res.status, 200, JSON.stringify(res.body));
    t.is(res.body.format, format);
    t.is(last(d11).method, 'FETCH');
    const paths = res.body.values!.map((v) => v.path);
    t.true(paths.includes('/3/0/9') && paths.includes('/3303/0/5700') && paths.includes('/3311/0/5851'));
    res = await s.api<OperationResult>('POST', `/api/v1/devices/w-11/composite/write?format=${format}`, { values: { '/3311/0/5851': 42 + format, '/3/0/14': '+0' + format } });
    t.is(res.status, 200, JSON.stringify(res.body));
    t.is(last(d11).method, 'iPATCH');
    t.deepEqual(d11.value('/3311/0/5851'), { type: 'integer', value: 42 + format });
    t.deepEqual(d11.value('/3/0/14'), { type: 'string', value: `+0${format}` });
  });
}

test.serial('a 1.0 device: Write in TLV by default; composite operations are refused before anything is sent', async (t) => {
  const n = d10.requests.length;
  let res = await s.api<OperationResult>('PUT', '/api/v1/devices/w-10/objects/3/0', { resources: { 14: '+03:00', 15: 'Europe/Moscow' } });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is(last(d10).contentFormat, 11542);
  t.deepEqual(d10.value('/3/0/15'), { type: 'string', value: 'Europe/Moscow' });
  res = await s.api<OperationResult>('POST', '/api/v1/devices/w-10/composite/read', { paths: ['/3/0/9'] });
  t.is(res.status, 406);
  t.is(d10.requests.length, n + 1);
});

test.serial('a device that drops requests: the operation comes back as LWM2M_ERR_TIMEOUT (504)', async (t) => {
  d11.sleep(); // not a queue-mode device: the server expects an answer and times out
  try {
    const res = await s.api<OperationResult>('GET', '/api/v1/devices/w-11/objects/3/0/9?timeout=1');
    t.is(res.status, 504);
    t.is(res.body.ok, false);
    t.is(res.body.error?.code, 'LWM2M_ERR_TIMEOUT');
    t.is(res.body.code, undefined);
    t.true(d11.counters.droppedWhileAsleep >= 1);
  } finally {
    await d11.wake();
  }
});

test.serial('LwM2M CBOR (11544) for a 1.2 device: Write of a resource and an instance, and composite Read/Write', async (t) => {
  const d12 = await s.device({ endpoint: 'w-12', lwm2mVersion: '1.2', supportedFormats: [110, 112, 11544] });
  let res = await s.api<OperationResult>('PUT', '/api/v1/devices/w-12/objects/3/0/14?format=11544', { value: '+07:00' });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is(last(d12).contentFormat, 11544);
  t.deepEqual(d12.value('/3/0/14'), { type: 'string', value: '+07:00' });
  res = await s.api<OperationResult>('PUT', '/api/v1/devices/w-12/objects/3311/0?mode=update', { resources: { 5850: true, 5851: 40 } });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is(last(d12).contentFormat, 11544, 'the server picks LwM2M CBOR for a 1.2 device announcing it');
  t.deepEqual(d12.value('/3311/0/5851'), { type: 'integer', value: 40 });
  res = await s.api<OperationResult>('POST', '/api/v1/devices/w-12/composite/write', { values: { '/3311/0/5851': 7 } });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is(last(d12).contentFormat, 11544);
  res = await s.api<OperationResult>('POST', '/api/v1/devices/w-12/composite/read', { paths: ['/3311/0/5851', '/3/0/14'] });
  t.is(res.body.format, 11544);
  // LwM2M CBOR nests by object id, so the answer comes in path order.
  t.deepEqual(res.body.values?.map((v) => [v.path, v.value.value]), [['/3/0/14', '+07:00'], ['/3311/0/5851', 7]]);
});
