import test from 'ava';
import { Lwm2mError } from '../../src/errors.js';
import { cborCodec as codec } from '../../src/content/cbor.js';
import { toHalfExact } from '../../src/content/cbor-writer.js';
import type { LwM2mPath, LwM2mValue } from '../../src/content/types.js';
import { ctxOf, TYPES } from './_b/models.js';
import { canonical, prng, randomValue } from './_b/random.js';
import { fuzzSuite } from './_b/suites.js';

const ctx = ctxOf();
const h = (s: string): Buffer => Buffer.from(s, 'hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const res = (rid: number): LwM2mPath => ({ objectId: 9000, instanceId: 0, resourceId: rid });

test('single values of every type round-trip through CBOR (60), as resource and resource instance', (t) => {
  const rnd = prng(60);
  for (let i = 0; i < 400; i++) {
    const ti = i % TYPES.length;
    const value = randomValue(TYPES[ti]!, rnd);
    const single = codec.decode(codec.encode({ kind: 'resource', id: ti, value }, res(ti), ctx), res(ti), ctx);
    t.is(canonical(single), canonical({ kind: 'resource', id: ti, value }), `case ${i}`);
    const riPath = { ...res(100 + ti), resourceInstanceId: 7 };
    const inst = codec.decode(codec.encode({ kind: 'resourceInstance', id: 7, value }, riPath, ctx), riPath, ctx);
    t.is(canonical(inst), canonical({ kind: 'resourceInstance', id: 7, value }), `case ${i}`);
  }
});

test('CBOR (60) item per type', (t) => {
  const one = (v: LwM2mValue): string => hex(codec.encode({ kind: 'resource', id: 0, value: v }, res(0), ctx));
  t.is(one({ type: 'string', value: 'a' }), '6161');
  t.is(one({ type: 'integer', value: -1 }), '20');
  t.is(one({ type: 'unsigned', value: 24 }), '1818');
  t.is(one({ type: 'float', value: 2.5 }), 'f94100');
  t.is(one({ type: 'boolean', value: true }), 'f5');
  t.is(one({ type: 'opaque', value: Uint8Array.from([1, 2]) }), '420102');
  t.is(one({ type: 'time', value: 1_700_000_000 }), '1a6553f100');
  t.is(one({ type: 'objlnk', value: { objectId: 3, instanceId: 0 } }), '63333a30');
  t.is(one({ type: 'none', value: null }), 'f6');
});

test('time may arrive as tag 1 (epoch) or tag 0 (RFC 3339 text); decimal fractions as floats', (t) => {
  t.deepEqual(codec.decode(h('c11a6553f100'), res(6), ctx), { kind: 'resource', id: 6, value: { type: 'time', value: 1_700_000_000 } });
  t.deepEqual(codec.decode(h('c074323032332d31312d31345432323a31333a32305a'), res(6), ctx), { kind: 'resource', id: 6, value: { type: 'time', value: 1_700_000_000 } });
  t.deepEqual(codec.decode(h('c48220182d'), res(3), ctx), { kind: 'resource', id: 3, value: { type: 'float', value: 4.5 } });
});

test('objects, instances and multiple resources are 4.06 in CBOR (60)', (t) => {
  const e1 = t.throws(() => codec.encode({ kind: 'instance', id: 0, resources: [] }, { objectId: 3 }, ctx), { instanceOf: Lwm2mError });
  t.is(e1?.coapCode, '4.06');
  const e2 = t.throws(() => codec.decode(h('01'), { objectId: 3, instanceId: 0 }, ctx), { instanceOf: Lwm2mError });
  t.is(e2?.coapCode, '4.06');
});

test('shortest exact float: half when exact, including subnormals, else single, else double', (t) => {
  t.is(toHalfExact(-30), 0xcf80);
  t.is(toHalfExact(65504), 0x7bff);
  t.is(toHalfExact(65520), undefined);
  t.is(toHalfExact(5.960464477539063e-8), 0x0001);
  t.is(toHalfExact(6.103515625e-5), 0x0400);
  t.is(toHalfExact(0.1), undefined);
  t.is(toHalfExact(-0), 0x8000);
});

const bad: [string, string][] = [
  ['empty', ''],
  ['truncated', '1a6553'],
  ['two items', '0101'],
  ['array', '820102'],
  ['map', 'a10101'],
  ['undefined', 'f7'],
  ['tag 32', 'd8206161'],
  ['string for an integer resource', '6161'],
  ['huge claimed byte string', '5b00000000ffffffff'],
  ['date for a string resource', 'c11a6553f100'],
];
for (const [what, payload] of bad) {
  test(`bad CBOR (60) is a 4.00 Lwm2mError: ${what}`, (t) => {
    const rid = what === 'date for a string resource' ? 0 : 1;
    const e = t.throws(() => codec.decode(h(payload), res(rid), ctx), { instanceOf: Lwm2mError });
    t.is(e?.coapCode, '4.00');
  });
}

fuzzSuite(test, 'CBOR (60)', codec, [h('1a6553f100'), h('6161'), h('c48220182d'), h('f94100')]);
