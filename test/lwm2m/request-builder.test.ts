import test from 'ava';
import { ModelRegistry } from '../../src/model/registry.js';
import { decodePaths, decode } from '../../src/content/index.js';
import { ContentFormat } from '../../src/content/types.js';
import { buildRequest, interpretResponse } from '../../src/lwm2m/management/request-builder.js';
import { codecContext } from '../../src/lwm2m/management/codec-context.js';
import { registration } from '../_suites/registration-store.js';

const models = await ModelRegistry.builtin();
const v11 = registration({ lwm2mVersion: '1.1', supportedFormats: [112], rootPath: '/lwm2m' });
const v10 = registration({ lwm2mVersion: '1.0', supportedFormats: [] });
const ctx = (reg = v11) => codecContext(reg, models, 1_700_000_000_000);

test('a read goes under the alternate root path with the format chosen for the device', (t) => {
  const inst = buildRequest(v11, { op: 'read', path: '/3/0' }, ctx());
  t.deepEqual(inst.request, { method: 'GET', path: ['lwm2m', '3', '0'], accept: ContentFormat.SENML_CBOR });
  const single = buildRequest(v11, { op: 'read', path: '/3/0/0' }, ctx());
  t.is(single.request.accept, ContentFormat.TEXT);
  const old = buildRequest(v10, { op: 'read', path: '/3/0' }, ctx(v10));
  t.deepEqual(old.request.path, ['3', '0']);
  t.is(old.request.accept, ContentFormat.TLV);
  t.is(buildRequest(v10, { op: 'read', path: '/3/0', format: 110 }, ctx(v10)).request.accept, 110);
});

test('a write encodes the values with the model, PUT for replace and POST for update', (t) => {
  const values = [{ path: '/3/0/14', value: { type: 'string' as const, value: '+02' } }, { path: '/3/0/15', value: { type: 'string' as const, value: 'Europe/Paris' } }];
  const b = buildRequest(v10, { op: 'write', path: '/3/0', mode: 'update', values }, ctx(v10));
  t.is(b.request.method, 'POST');
  t.is(b.request.contentFormat, ContentFormat.TLV);
  const node = decode(ContentFormat.TLV, b.request.payload!, { objectId: 3, instanceId: 0 }, ctx(v10));
  t.deepEqual(node, {
    kind: 'instance',
    id: 0,
    resources: [
      { kind: 'resource', id: 14, value: { type: 'string', value: '+02' } },
      { kind: 'resource', id: 15, value: { type: 'string', value: 'Europe/Paris' } },
    ],
  });
  t.is(buildRequest(v10, { op: 'write', path: '/3/0', mode: 'replace', values }, ctx(v10)).request.method, 'PUT');
});

test('write-attributes, execute, delete and discover build the requests the spec describes', (t) => {
  t.deepEqual(buildRequest(v10, { op: 'write-attributes', path: '/3303/0/5700', attributes: { pmin: 10, pmax: 60, gt: null } }, ctx(v10)).request, {
    method: 'PUT',
    path: ['3303', '0', '5700'],
    query: ['pmin=10', 'pmax=60', 'gt'],
  });
  t.deepEqual(buildRequest(v10, { op: 'execute', path: '/3/0/4', args: "0='x'" }, ctx(v10)).request, { method: 'POST', path: ['3', '0', '4'], payload: Buffer.from("0='x'") });
  t.deepEqual(buildRequest(v10, { op: 'delete', path: '/3303/1' }, ctx(v10)).request, { method: 'DELETE', path: ['3303', '1'] });
  t.deepEqual(buildRequest(v10, { op: 'discover', path: '/3' }, ctx(v10)).request, { method: 'GET', path: ['3'], accept: 40 });
  t.throws(() => buildRequest(v10, { op: 'execute', path: '/3/0' }, ctx(v10)), { message: /Execute targets a resource/ });
});

test('a composite read is a FETCH on the root with the path list in the composite format', (t) => {
  const b = buildRequest(v11, { op: 'read-composite', paths: ['/3/0/0', '/3303/0/5700'] }, ctx());
  t.is(b.request.method, 'FETCH');
  t.deepEqual(b.request.path, ['lwm2m']);
  t.is(b.request.contentFormat, ContentFormat.SENML_CBOR);
  t.deepEqual(decodePaths(ContentFormat.SENML_CBOR, b.request.payload!, ctx()), [
    { objectId: 3, instanceId: 0, resourceId: 0 },
    { objectId: 3303, instanceId: 0, resourceId: 5700 },
  ]);
  t.throws(() => buildRequest(v10, { op: 'read-composite', paths: ['/3/0/0'] }, ctx(v10)), { message: /no composite operations/ });
});

test('device errors become results with the device code and its diagnostic', (t) => {
  const op = { op: 'read' as const, path: '/3/0/99' };
  const b = buildRequest(v10, op, ctx(v10));
  const r = interpretResponse(op, b, { code: '4.04', payload: Buffer.from('no such resource'), locationPath: [], peer: v10.address, token: Buffer.alloc(0), confirmable: false }, ctx(v10));
  t.deepEqual(r, { ok: false, code: '4.04', error: { code: 'LWM2M_ERR_DEVICE_ERROR', message: 'device answered 4.04: no such resource' } });
});

test('a single value answered without a Content-Format is read as text (lwm2m-node-lib)', (t) => {
  const op = { op: 'read' as const, path: '/3/0/0' };
  const b = buildRequest(v10, op, ctx(v10));
  const r = interpretResponse(op, b, { code: '2.05', payload: Buffer.from('Telefonica'), locationPath: [], peer: v10.address, token: Buffer.alloc(0), confirmable: false }, ctx(v10));
  t.deepEqual(r.values, [{ path: '/3/0/0', value: { type: 'string', value: 'Telefonica' } }]);
});

test('create returns the Location-Path the device gave', (t) => {
  const op = { op: 'create' as const, path: '/3303', values: [{ path: '/3303/0/5700', value: { type: 'float' as const, value: 20.5 } }] };
  const b = buildRequest(v10, op, ctx(v10));
  t.is(b.request.contentFormat, ContentFormat.TLV);
  const r = interpretResponse(op, b, { code: '2.01', payload: Buffer.alloc(0), locationPath: ['3303', '22'], peer: v10.address, token: Buffer.alloc(0), confirmable: false }, ctx(v10));
  t.is(r.location, '/3303/22');
});
