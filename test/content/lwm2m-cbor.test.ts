import test from 'ava';
import { Lwm2mError } from '../../src/errors.js';
import { lwm2mCborCodec as codec } from '../../src/content/lwm2m-cbor.js';
import { formatPath } from '../../src/content/path.js';
import { capturedPayloads } from './_b/capture-payloads.js';
import { ctxOf } from './_b/models.js';
import { fuzzSuite, roundTripSuite } from './_b/suites.js';

const ctx = ctxOf();
const h = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const flat = (b: Buffer): string[] => codec.decodeValues(b, ctx).map((v) => `${formatPath(v.path)}=${v.value.type}:${String(v.value.value)}`);

roundTripSuite(test, 'LwM2M CBOR', codec, {});

// Well-formed payloads the encoder writes, plus the interoperability vectors below, seed the fuzzer.
const vectors = {
  nested: 'a10da1181aa101182a', // {13: {26: {1: 42}}}
  arrayKey: 'a1830d181a01182a', // {[13, 26, 1]: 42}
  indefinite: 'bf9f0d181a01ff182aff', // {_ [_ 13, 26, 1]: 42}
  nestedIndefinite: 'bf0dbf181abf01182affffff',
  nestedArrays: 'a1810da181181aa181 01182a',
  mixed: 'a2820d181aa101182a830d181a0215', // {[13, 26]: {1: 42}, [13, 26, 2]: 21}
  composite: 'a20da1181aa101010ea1181ba10202', // {13: {26: {1: 1}}, 14: {27: {2: 2}}}
  decimalFraction: 'a1810da181181aa18101a18102c48220182d', // {[13]: {[26]: {[1]: {[2]: 4([-1, 45])}}}}
};

test('the same value written five ways decodes to /13/26/1 = 42 (LwM2M 1.2 §7.4.6 key forms)', (t) => {
  for (const k of ['nested', 'arrayKey', 'indefinite', 'nestedIndefinite', 'nestedArrays'] as const) {
    t.deepEqual(flat(h(vectors[k])), ['/13/26/1=integer:42'], k);
  }
});

test('mixed key forms, two objects, and a decimal fraction', (t) => {
  t.deepEqual(flat(h(vectors.mixed)), ['/13/26/1=integer:42', '/13/26/2=integer:21']);
  t.deepEqual(flat(h(vectors.composite)), ['/13/26/1=integer:1', '/14/27/2=integer:2']);
  t.deepEqual(flat(h(vectors.decimalFraction)), ['/13/26/1/2=float:4.5']);
});

test('every type: {[13, 26]: {1: 1, 2: -1, 3: 2.5, 4: "test", 5: h\'11223344\', 6: "12:34"}}', (t) => {
  const p = h('a1820d181aa6010102200 3f94100 0464746573740544112233440665 31323a3334'.replace(/ /g, ''));
  const vs = codec.decodeValues(p, ctx);
  t.deepEqual(
    vs.map((v) => v.value.type),
    ['integer', 'integer', 'float', 'string', 'opaque', 'string'],
  );
  // With the model, "12:34" on an objlnk resource is an object link.
  const typed = codec.decodeValues(h('a18319232800076531323a3334'), ctx);
  t.deepEqual(typed[0]?.value, { type: 'objlnk', value: { objectId: 12, instanceId: 34 } });
});

test('encoding nests maps by id and writes every type; time tags are read too', (t) => {
  const node = { kind: 'instance' as const, id: 0, resources: [
    { kind: 'resource' as const, id: 0, value: { type: 'string' as const, value: 'a' } },
    { kind: 'resource' as const, id: 3, value: { type: 'float' as const, value: -30 } },
    { kind: 'multipleResource' as const, id: 101, type: 'integer' as const, instances: [{ kind: 'resourceInstance' as const, id: 2, value: { type: 'integer' as const, value: 5 } }] },
  ] };
  const out = codec.encode(node, { objectId: 9000, instanceId: 0 }, ctx);
  t.is(hex(out), 'a1192328a100a3006161' + '03f9cf80' + '1865a10205');
  // tag 1 (epoch seconds) on a time resource
  t.deepEqual(flat(h('a1831923280006c11a6553f100')), ['/9000/0/6=time:1700000000']);
  // null is the "none" value
  t.deepEqual(flat(h('a183192328000 9f6'.replace(/ /g, ''))), ['/9000/0/9=none:null']);
});

test('Read-Composite path lists are maps of path arrays to null', (t) => {
  const paths = [{ objectId: 3, instanceId: 0, resourceId: 9 }, { objectId: 1 }, {}];
  const out = codec.encodePaths(paths, ctx);
  t.is(hex(out), 'a3' + '83030009f6' + '8101f6' + '80f6');
  t.deepEqual(codec.decodePaths(out, ctx), paths);
});

test('timestamps cannot be written: 4.06', (t) => {
  const e = t.throws(() => codec.encodeValues([{ path: { objectId: 3, instanceId: 0, resourceId: 9 }, value: { type: 'integer', value: 1 }, time: 1_700_000_000 }], ctx), { instanceOf: Lwm2mError });
  t.is(e?.coapCode, '4.06');
});

test('the recorder\'s 11544 write in wakaama-write.jsonl ({_ 1: 82}) is refused: a value at /1 is not a resource', (t) => {
  const [p] = capturedPayloads([11544]);
  t.is(p?.payload.toString('hex'), 'bf011852ff');
  const e = t.throws(() => codec.decode(p!.payload, p!.path, ctx), { instanceOf: Lwm2mError });
  t.is(e?.coapCode, '4.00');
});

const bad: [string, string][] = [
  ['path too long (5 ids)', 'a1850d181a03040505'],
  ['path too long across levels', 'a1830d181a01a20205820304 05'],
  ['map below a resource instance', 'a10da1181aa101a102a10304'],
  ['value above resource level', 'a10d01'],
  ['negative id', 'a1200 1'],
  ['id 65535 (reserved)', 'a119ffffa100a10001'],
  ['key of a wrong type', 'a16178 01'],
  ['empty array key', 'a180 01'],
  ['not a map', '8101'],
  ['truncated', 'a10da1181aa101'],
  ['duplicate path', 'a2830d181a0101830d181a0102'],
  ['tag not allowed', 'a1830d181a01d82001'],
  ['string for an integer resource', 'a1830300096178'],
  ['huge claimed map', 'bb00000000ffffffff'],
  ['huge claimed text', 'a18303000 07b00000000ffffffff'],
  ['trailing bytes', 'a1830d181a01182a00'],
];
for (const [what, payload] of bad) {
  test(`bad LwM2M CBOR is a 4.00 Lwm2mError: ${what}`, (t) => {
    const e = t.throws(() => codec.decodeValues(h(payload.replace(/ /g, '')), ctx), { instanceOf: Lwm2mError });
    t.is(e?.coapCode, '4.00');
  });
}

fuzzSuite(
  test,
  'LwM2M CBOR',
  codec,
  Object.values(vectors).map((v) => h(v)),
);
