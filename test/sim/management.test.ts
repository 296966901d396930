import test from 'ava';
import { decode, decodeValues, encode, encodePaths, encodeValues } from '../../src/content/index.js';
import { parseDiscover } from '../../src/content/link-attributes.js';
import { nodeToValues } from '../../src/content/tree.js';
import type { LwM2mPath } from '../../src/content/types.js';
import { deviceWithServer } from './helpers.js';

const P = (objectId: number, instanceId?: number, resourceId?: number, resourceInstanceId?: number): LwM2mPath => {
  const p: LwM2mPath = { objectId };
  if (instanceId !== undefined) p.instanceId = instanceId;
  if (resourceId !== undefined) p.resourceId = resourceId;
  if (resourceInstanceId !== undefined) p.resourceInstanceId = resourceInstanceId;
  return p;
};

test('Read answers TLV for several values and text for one by default, any accepted format on Accept', async (t) => {
  const h = await deviceWithServer({ lwm2mVersion: '1.2' });
  t.teardown(() => h.close());
  const ctx = h.device.codecContext();
  let res = await h.request({ method: 'GET', path: ['3', '0'] });
  t.is(res.code, '2.05');
  t.is(res.contentFormat, 11542);
  const values = nodeToValues(decode(11542, res.payload, P(3, 0), ctx), P(3, 0));
  t.deepEqual(values.find((v) => v.path.resourceId === 2)?.value, { type: 'string', value: 'SN-sim-unit' });
  res = await h.request({ method: 'GET', path: ['3', '0', '9'] });
  t.is(res.contentFormat ?? 0, 0);
  t.is(res.payload.toString(), '87');
  for (const accept of [110, 112, 11544]) {
    res = await h.request({ method: 'GET', path: ['3', '0', '6'], accept });
    t.is(res.contentFormat, accept);
    t.deepEqual(nodeToValues(decode(accept, res.payload, P(3, 0, 6), ctx), P(3, 0, 6)).map((v) => v.value.value), [1, 5]);
  }
});

test('Read: 4.06 for a format the client does not accept, 4.04 for unknown paths, 4.05 for an executable', async (t) => {
  const h = await deviceWithServer({ lwm2mVersion: '1.1', supportedFormats: [110] });
  t.teardown(() => h.close());
  t.is((await h.request({ method: 'GET', path: ['3', '0'], accept: 11543 })).code, '4.06');
  t.is((await h.request({ method: 'GET', path: ['3', '0'], accept: 112 })).code, '4.06');
  t.is((await h.request({ method: 'GET', path: ['3', '7'] })).code, '4.04');
  t.is((await h.request({ method: 'GET', path: ['9999'] })).code, '4.04');
  t.is((await h.request({ method: 'GET', path: ['rd'] })).code, '4.04');
  t.is((await h.request({ method: 'GET', path: ['3', '0', '4'] })).code, '4.05');
  t.is(h.device.counters.errors, 6);
});

test('Write replace and partial update change the tree; read-only resources are 4.05', async (t) => {
  const h = await deviceWithServer();
  t.teardown(() => h.close());
  const ctx = h.device.codecContext();
  let res = await h.request({ method: 'PUT', path: ['3', '0', '14'], contentFormat: 0, payload: Buffer.from('+02:00') });
  t.is(res.code, '2.04');
  t.deepEqual(h.device.value('/3/0/14'), { type: 'string', value: '+02:00' });
  const payload = Buffer.from(encodeValues(11542, [{ path: P(3, 0, 15), value: { type: 'string', value: 'Europe/Paris' } }], ctx, P(3, 0)));
  res = await h.request({ method: 'POST', path: ['3', '0'], contentFormat: 11542, payload });
  t.is(res.code, '2.04');
  t.deepEqual(h.device.value('/3/0/15'), { type: 'string', value: 'Europe/Paris' });
  t.deepEqual(h.device.value('/3/0/14'), { type: 'string', value: '+02:00' }, 'update keeps the rest');
  res = await h.request({ method: 'PUT', path: ['3', '0', '0'], contentFormat: 0, payload: Buffer.from('x') });
  t.is(res.code, '4.05');
  res = await h.request({ method: 'PUT', path: ['3', '0', '14'], contentFormat: 11543, payload: Buffer.from('{}') });
  t.is(res.code, '4.15', 'a payload format the client does not speak');
});

test('Execute records its arguments; a non-executable resource answers 4.05', async (t) => {
  const h = await deviceWithServer();
  t.teardown(() => h.close());
  t.is((await h.request({ method: 'POST', path: ['3', '0', '4'], payload: Buffer.from("0='now'") })).code, '2.04');
  t.is((await h.request({ method: 'POST', path: ['3303', '0', '5605'] })).code, '2.04');
  t.deepEqual(h.device.executed.map((e) => [e.path, e.args]), [['/3/0/4', "0='now'"], ['/3303/0/5605', '']]);
  t.is((await h.request({ method: 'POST', path: ['3', '0', '9'] })).code, '4.05');
});

test('Create with and without an instance id answers Location-Path; Delete removes it', async (t) => {
  const h = await deviceWithServer();
  t.teardown(() => h.close());
  const ctx = h.device.codecContext();
  const v = (iid: number) => [{ path: P(3303, iid, 5700), value: { type: 'float' as const, value: 30 } }];
  // With an id: TLV with an object-instance record.
  let res = await h.request({ method: 'POST', path: ['3303'], contentFormat: 11542, payload: Buffer.from(encode(11542, { kind: 'object', id: 3303, instances: [{ kind: 'instance', id: 7, resources: [{ kind: 'resource', id: 5700, value: { type: 'float', value: 30 } }] }] }, P(3303), ctx)) });
  t.is(res.code, '2.01');
  t.deepEqual(res.locationPath, ['3303', '7']);
  // Without: the resources alone; the client picks the lowest free id.
  res = await h.request({ method: 'POST', path: ['3303'], contentFormat: 11542, payload: Buffer.from(encodeValues(11542, v(0), ctx, P(3303, 0))) });
  t.is(res.code, '2.01');
  t.deepEqual(res.locationPath, ['3303', '1']);
  t.deepEqual(h.device.tree.instanceIds(3303), [0, 1, 7]);
  t.is((await h.request({ method: 'DELETE', path: ['3303', '7'] })).code, '2.02');
  t.is((await h.request({ method: 'DELETE', path: ['3303', '7'] })).code, '4.04');
  t.is((await h.request({ method: 'DELETE', path: ['3303'] })).code, '4.05');
  t.deepEqual(h.device.tree.instanceIds(3303), [0, 1]);
});

test('Discover lists instances and resources with dim and the attributes written', async (t) => {
  const h = await deviceWithServer();
  t.teardown(() => h.close());
  t.is((await h.request({ method: 'PUT', path: ['3', '0', '9'], query: ['pmin=10', 'pmax=60'] })).code, '2.04');
  t.is((await h.request({ method: 'PUT', path: ['3'], query: ['gt=5'] })).code, '2.04');
  let res = await h.request({ method: 'GET', path: ['3'], accept: 40 });
  t.is(res.contentFormat, 40);
  const entries = parseDiscover(res.payload);
  t.is(entries[0]!.ver, '1.2');
  t.deepEqual(entries[0]!.attributes, { gt: 5 });
  t.is(entries.find((e) => e.path.resourceId === 6)?.dim, 2);
  t.deepEqual(entries.find((e) => e.path.resourceId === 9)?.attributes, { pmin: 10, pmax: 60 });
  res = await h.request({ method: 'GET', path: ['3', '0', '9'], accept: 40 });
  t.deepEqual(parseDiscover(res.payload)[0]!.attributes, { pmin: 10, pmax: 60, gt: 5 }, 'a resource Discover shows inherited attributes');
  t.is((await h.request({ method: 'PUT', path: ['3', '0', '9'], query: ['pmin=100'] })).code, '4.00', 'pmin above pmax');
  t.is((await h.request({ method: 'PUT', path: ['3', '0', '9'], query: ['foo=1'] })).code, '4.00');
  t.is((await h.request({ method: 'PUT', path: ['3', '9'], query: ['pmin=1'] })).code, '4.04');
});

test('Read-Composite (FETCH) and Write-Composite (iPATCH) in SenML JSON', async (t) => {
  const h = await deviceWithServer({ lwm2mVersion: '1.1' });
  t.teardown(() => h.close());
  const ctx = h.device.codecContext();
  let res = await h.request({ method: 'FETCH', path: [], contentFormat: 110, accept: 110, payload: Buffer.from(encodePaths(110, [P(3, 0, 9), P(3303, 0, 5700), P(3, 0, 99)], ctx)) });
  t.is(res.code, '2.05');
  t.deepEqual(decodeValues(110, res.payload, {}, ctx).map((v) => v.value.value), [87, 21.5]);
  const payload = Buffer.from(encodeValues(110, [{ path: P(3, 0, 14), value: { type: 'string', value: '+01:00' } }, { path: P(3311, 0, 5850), value: { type: 'boolean', value: true } }], ctx));
  res = await h.request({ method: 'iPATCH', path: [], contentFormat: 110, payload });
  t.is(res.code, '2.04');
  t.deepEqual(h.device.value('/3311/0/5850'), { type: 'boolean', value: true });
  res = await h.request({ method: 'FETCH', path: [], contentFormat: 11542, payload: Buffer.from([0]) });
  t.is(res.code, '4.15');
});

test('1.0 clients have no composite operations and answer an opaque resource in TLV', async (t) => {
  const h = await deviceWithServer({ lwm2mVersion: '1.0', objects: [{ objectId: 3 }, { objectId: 5 }] });
  t.teardown(() => h.close());
  t.is((await h.request({ method: 'FETCH', path: [], contentFormat: 110, payload: Buffer.from('[]') })).code, '4.05');
  const res = await h.request({ method: 'GET', path: ['5', '0', '0'] });
  t.is(res.contentFormat, 11542);
});

test('sleep drops incoming requests (the device counts them); wake sends an Update', async (t) => {
  const h = await deviceWithServer({ queueMode: true });
  t.teardown(() => h.close());
  h.device.sleep();
  const err = await t.throwsAsync(h.server.coap.request(h.peer, { method: 'GET', path: ['3', '0', '9'], confirmable: false, timeoutMs: 300 }));
  t.is((err as { code?: string }).code, 'LWM2M_ERR_TIMEOUT');
  t.is(h.device.counters.droppedWhileAsleep, 1);
  t.is(h.device.requests.length, 0);
  await h.device.wake();
  t.deepEqual(h.server.received.map((r) => `${r.method} /${r.path.join('/')}`), ['POST /rd', 'POST /rd/r1']);
  t.is((await h.request({ method: 'GET', path: ['3', '0', '9'] })).code, '2.05');
});

test('Send posts the values to /dp in SenML CBOR when announced, with timestamps', async (t) => {
  const h = await deviceWithServer({ lwm2mVersion: '1.1', supportedFormats: [110, 112] });
  t.teardown(() => h.close());
  const res = await h.device.send(['/3303/0/5700', '/3/0/9']);
  t.is(res.code, '2.04');
  const req = h.server.received.find((r) => r.path[0] === 'dp')!;
  t.is(req.contentFormat, 112);
  const values = decodeValues(112, req.payload, {}, h.device.codecContext());
  t.deepEqual(values.map((v) => v.value.value), [21.5, 87]);
  t.true(values.every((v) => typeof v.time === 'number' && v.time > 1e9));
});

test('the request record is bounded for long runs', async (t) => {
  const h = await deviceWithServer({ maxRecordedRequests: 3 });
  t.teardown(() => h.close());
  for (let i = 0; i < 6; i++) await h.request({ method: 'GET', path: ['3', '0', '9'] });
  t.is(h.device.requests.length, 3);
  t.is(h.device.counters.requests, 6);
});
