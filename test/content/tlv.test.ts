import test from 'ava';
import { decodeTlv, encodeTlv, tlvCodec } from '../../src/content/tlv.js';
import { readTlv, writeTlv } from '../../src/content/tlv-record.js';
import { DEFAULT_LIMITS } from '../../src/content/limits.js';
import { parsePath } from '../../src/content/path.js';
import type { LwM2mNode, LwM2mValue, MultipleResourceNode, ObjectInstanceNode, ObjectNode } from '../../src/content/types.js';
import { Lwm2mError } from '../../src/errors.js';
import { testContext } from './_models.js';

const ctx = testContext();
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function resourceValue(node: LwM2mNode, id: number): unknown {
  if (node.kind !== 'instance') throw new Error('not an instance');
  const r = node.resources.find((x) => x.id === id);
  if (r === undefined) return undefined;
  return r.kind === 'resource' ? r.value : r.instances.map((i) => i.value);
}

// LwM2M TS-Core §7.4.3 example: Read /3/0 answered with the Device object instance (bare resources).
const SPEC_DEVICE_INSTANCE = `
  C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65
  C8 01 16 4C 69 67 68 74 77 65 69 67 68 74 20 4D 32 4D 20 43 6C 69 65 6E 74
  C8 02 09 33 34 35 30 30 30 31 32 33
  C3 03 31 2E 30
  86 06 41 00 01 41 01 05
  88 07 08 42 00 0E D8 42 01 13 88
  87 08 41 00 7D 42 01 03 84
  C1 09 64
  C1 0A 0F
  83 0B 41 00 00
  C4 0D 51 82 42 8F
  C6 0E 2B 30 32 3A 30 30
  C1 10 55`;

// §7.4.3 example: Read /2 (Access Control) with two instances; resource instance 310 needs a 16-bit id.
const SPEC_ACCESS_CONTROL = `
  08 00 0E C1 00 01 C1 01 00 83 02 41 7F 07 C1 03 7F
  08 02 12 C1 00 03 C1 01 00 87 02 41 7F 07 61 01 36 01 C1 03 7F`;

test('the spec Device instance example decodes to its values', (t) => {
  const { node, warnings } = decodeTlv(hex(SPEC_DEVICE_INSTANCE), parsePath('/3/0'), ctx);
  t.deepEqual(warnings, []);
  t.deepEqual(resourceValue(node, 0), { type: 'string', value: 'Open Mobile Alliance' });
  t.deepEqual(resourceValue(node, 1), { type: 'string', value: 'Lightweight M2M Client' });
  t.deepEqual(resourceValue(node, 6), [{ type: 'integer', value: 1 }, { type: 'integer', value: 5 }]);
  t.deepEqual(resourceValue(node, 7), [{ type: 'integer', value: 3800 }, { type: 'integer', value: 5000 }]);
  t.deepEqual(resourceValue(node, 8), [{ type: 'integer', value: 125 }, { type: 'integer', value: 900 }]);
  t.deepEqual(resourceValue(node, 11), [{ type: 'integer', value: 0 }]);
  t.deepEqual(resourceValue(node, 13), { type: 'time', value: 0x5182428f });
  t.deepEqual(resourceValue(node, 14), { type: 'string', value: '+02:00' });
  t.deepEqual(resourceValue(node, 16), { type: 'string', value: 'U' });
});

test('the spec examples re-encode byte for byte', (t) => {
  const device = decodeTlv(hex(SPEC_DEVICE_INSTANCE), parsePath('/3/0'), ctx).node;
  t.is(toHex(encodeTlv(device, parsePath('/3/0'))), toHex(hex(SPEC_DEVICE_INSTANCE)));
  const acl = decodeTlv(hex(SPEC_ACCESS_CONTROL), parsePath('/2'), ctx).node as ObjectNode;
  t.deepEqual(acl.instances.map((i) => i.id), [0, 2]);
  const acl2 = acl.instances[1]!.resources.find((r) => r.id === 2) as MultipleResourceNode;
  t.deepEqual(acl2.instances.map((i) => [i.id, i.value.value]), [[127, 7], [310, 1]]);
  t.is(toHex(encodeTlv(acl, parsePath('/2'))), toHex(hex(SPEC_ACCESS_CONTROL)));
});

test('an instance may come wrapped in an object-instance TLV, and the wrapper id must match', (t) => {
  const wrapped = hex('08 00 06 C1 09 64 C1 0A 0F');
  const node = decodeTlv(wrapped, parsePath('/3/0'), ctx).node as ObjectInstanceNode;
  t.deepEqual(node.resources.map((r) => r.id), [9, 10]);
  const e = t.throws(() => decodeTlv(wrapped, parsePath('/3/1'), ctx));
  t.true(e instanceof Lwm2mError && e.coapCode === '4.00');
  t.regex(e!.message, /object instance 0 in a payload for \/3\/1/);
});

test('an instance at an object path is written wrapped (Create with an id), bare at its own path', (t) => {
  const inst: ObjectInstanceNode = { kind: 'instance', id: 20, resources: [{ kind: 'resource', id: 1, value: { type: 'integer', value: 6 } }] };
  t.is(toHex(encodeTlv(inst, parsePath('/31024'))), '0314c10106');
  t.is(toHex(encodeTlv(inst, parsePath('/31024/20'))), 'c10106');
});

test('bare resources at an object path read as instance 0 with a warning', (t) => {
  const { node, warnings } = decodeTlv(hex('C1 09 64'), parsePath('/3'), ctx);
  t.deepEqual((node as ObjectNode).instances.map((i) => i.id), [0]);
  t.is(warnings.length, 1);
});

test('multiple resources: wrapped, bare resource instances, and one instance', (t) => {
  const wrapped = decodeTlv(hex('86 06 41 00 01 41 01 05'), parsePath('/3/0/6'), ctx).node;
  const bare = decodeTlv(hex('41 00 01 41 01 05'), parsePath('/3/0/6'), ctx).node;
  t.deepEqual(bare, wrapped);
  t.is(wrapped.kind, 'multipleResource');
  t.deepEqual(decodeTlv(hex('41 01 05'), parsePath('/3/0/6/1'), ctx).node, { kind: 'resourceInstance', id: 1, value: { type: 'integer', value: 5 } });
  t.deepEqual(decodeTlv(hex('83 06 41 01 05'), parsePath('/3/0/6/1'), ctx).node, { kind: 'resourceInstance', id: 1, value: { type: 'integer', value: 5 } });
  t.is(toHex(encodeTlv({ kind: 'resourceInstance', id: 1, value: { type: 'integer', value: 5 } }, parsePath('/3/0/6/1'))), '410105');
});

test('integers take the shortest of 1, 2, 4 and 8 bytes; floats 4 bytes only when exact', (t) => {
  const enc = (value: LwM2mNode) => toHex(encodeTlv(value, parsePath('/3/0/9')));
  const r = (v: LwM2mValue): LwM2mNode => ({ kind: 'resource', id: 9, value: v });
  t.is(enc(r({ type: 'integer', value: 127 })), 'c1097f');
  t.is(enc(r({ type: 'integer', value: -129 })), 'c209ff7f');
  t.is(enc(r({ type: 'integer', value: 32768 })), 'c40900008000');
  t.is(enc(r({ type: 'integer', value: 3163055152 })), 'c8090800000000bc886430');
  t.is(enc(r({ type: 'integer', value: -(2n ** 63n) })), 'c8090880000000' + '00000000');
  t.is(enc(r({ type: 'unsigned', value: 200 })), 'c109c8');
  t.is(enc(r({ type: 'unsigned', value: 2n ** 64n - 1n })), 'c80908ffffffffffffffff');
  t.is(enc(r({ type: 'float', value: -30 })), 'c409c1f00000');
  t.is(enc(r({ type: 'float', value: 0.1 })), 'c809083fb999999999999a');
  t.is(enc(r({ type: 'boolean', value: true })), 'c10901');
  t.is(enc(r({ type: 'objlnk', value: { objectId: 0x1234, instanceId: 0xffff } })), 'c4091234ffff');
  t.is(enc(r({ type: 'none', value: null })), 'c009');
});

test('length fields grow from 3 bits to 8, 16 and 24 bits', (t) => {
  for (const [n, header] of [[7, 'c709'], [8, 'c80908'], [255, 'c809ff'], [256, 'd0090100'], [65535, 'd009ffff'], [65536, 'd809010000']] as const) {
    const out = encodeTlv({ kind: 'resource', id: 9, value: { type: 'opaque', value: new Uint8Array(n) } }, parsePath('/3/0/9'));
    t.is(toHex(out.subarray(0, header.length / 2)), header, `length ${n}`);
    t.is(out.length, header.length / 2 + n);
    const back = readTlv(out, DEFAULT_LIMITS);
    t.is(back.length, 1);
  }
});

test('16-bit identifiers are used above 255', (t) => {
  t.is(toHex(writeTlv([{ kind: 'resource', id: 5700, value: Uint8Array.of(1) }])), 'e1164401');
  t.deepEqual(readTlv(hex('e1164401'), DEFAULT_LIMITS), [{ kind: 'resource', id: 5700, value: Uint8Array.of(1) }]);
});

test('a resource missing from the model is kept as opaque and reported', (t) => {
  const { node, warnings } = decodeTlv(hex('C1 63 2A C1 09 64'), parsePath('/3/0'), ctx);
  t.deepEqual(resourceValue(node, 99), { type: 'opaque', value: Uint8Array.of(0x2a) });
  t.deepEqual(resourceValue(node, 9), { type: 'integer', value: 100 });
  t.is(warnings.length, 1);
  t.regex(warnings[0]!, /\/3\/0\/99/);
});

test('broken UTF-8 in a string is kept with U+FFFD and reported', (t) => {
  const { node, warnings } = decodeTlv(hex('c6 05 6e 65 77 e8 67 55'), parsePath('/31024/20'), ctx);
  t.deepEqual(resourceValue(node, 5), { type: 'string', value: 'new\ufffdgU' });
  t.regex(warnings[0]!, /\/31024\/20\/5: invalid UTF-8/);
});

test('hostile structures are typed 4.00 errors', (t) => {
  const cases: [string, string, RegExp][] = [
    ['c8', '/3/0', /header runs past the end/],
    ['c80914', '/3/0', /claims 20 bytes but 0 remain/],
    ['d8 09 ff ff ff 00', '/3/0', /claims 16777215 bytes/],
    ['e1ffff01', '/3/0', /identifier 65535 is reserved/],
    ['0800 03 080000', '/3', /instance TLV cannot appear inside an instance/],
    ['8306 c10001', '/3/0', /resource TLV cannot appear inside a multipleResource/],
    ['c10964c10965', '/3/0', /id 9 appears twice/],
    ['c2090001', '/3/0/0', /expected one TLV for resource \/3\/0\/0/],
    ['c1090102', '/3/0', /header runs past the end at byte 3/],
    ['c40d0102', '/3/0', /claims 4 bytes but 2 remain/],
    ['c10602', '/1/0', /boolean must be one byte 0 or 1/],
    ['c30001 02 03', '/6/0', /float of 3 bytes/],
    ['c3 11 000000', '/0/0', /object link of 3 bytes/],
    ['c80909 010203040506070809', '/3/0', /integer of 9 bytes/],
    ['c0 09', '/3/0', /integer of 0 bytes/],
  ];
  for (const [h, p, msg] of cases) {
    let result: unknown;
    const e = t.throws(() => (result = decodeTlv(hex(h), parsePath(p), ctx)), undefined, `${h} at ${p} gave ${JSON.stringify(result)}`);
    t.true(e instanceof Lwm2mError && e.code === 'LWM2M_ERR_BAD_PAYLOAD' && e.coapCode === '4.00', h);
    t.regex(e!.message, msg, h);
  }
});

test('limits bound entries, payload and value sizes', (t) => {
  const many = hex('c10900'.repeat(20));
  t.throws(() => tlvCodec.decode(many, parsePath('/3/0'), testContext({ limits: { maxEntries: 10 } })), { message: /more than 10 TLVs/ });
  t.throws(() => tlvCodec.decode(many, parsePath('/3/0'), testContext({ limits: { maxPayloadBytes: 30 } })), { message: /exceeds 30/ });
  const big = encodeTlv({ kind: 'resource', id: 0, value: { type: 'string', value: 'x'.repeat(100) } }, parsePath('/3/0/0'));
  t.throws(() => tlvCodec.decode(big, parsePath('/3/0/0'), testContext({ limits: { maxValueBytes: 99 } })), { message: /value of 100 bytes exceeds 99/ });
});

test('encoding refuses a node that does not sit at the path', (t) => {
  const r: LwM2mNode = { kind: 'resource', id: 1, value: { type: 'integer', value: 1 } };
  for (const p of ['/3/0/2', '/3/0', '/3/0/1/0']) {
    const e = t.throws(() => encodeTlv(r, parsePath(p)), undefined, p);
    t.true(e instanceof Lwm2mError && e.code === 'LWM2M_ERR_BAD_REQUEST', p);
  }
  t.is(t.throws<Lwm2mError>(() => encodeTlv(r, parsePath('/')))!.coapCode, '4.06');
  t.is(t.throws<Lwm2mError>(() => encodeTlv({ kind: 'resource', id: 1, value: { type: 'integer', value: 1.5 } }, parsePath('/3/0/1')))!.code, 'LWM2M_ERR_BAD_REQUEST');
});

test('decoding for the root path is refused', (t) => {
  t.is(t.throws<Lwm2mError>(() => decodeTlv(hex('c10964'), parsePath('/'), ctx))!.coapCode, '4.00');
});
