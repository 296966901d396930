import test from 'ava';
import { Lwm2mError } from '../../src/errors.js';
import { senmlCborCodec as codec } from '../../src/content/senml-cbor.js';
import { capturedPayloads } from './_b/capture-payloads.js';
import { ctxOf } from './_b/models.js';
import { fuzzSuite, roundTripSuite, timestampSuite } from './_b/suites.js';

const ctx = ctxOf();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const h = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

roundTripSuite(test, 'SenML CBOR', codec, {});
timestampSuite(test, 'SenML CBOR', codec, {});
fuzzSuite(
  test,
  'SenML CBOR',
  codec,
  capturedPayloads([112]).map((p) => p.payload),
);

test('floats use the shortest exact precision, integers stay integers', (t) => {
  const at = (rid: number) => ({ objectId: 9000, instanceId: 0, resourceId: rid });
  const one = (v: Parameters<typeof codec.encodeValues>[0][0]['value']): string => hex(codec.encodeValues([{ path: at(3), value: v }], ctx));
  // [{-2: "/9000/0/3", 2: x}]
  const prefix = '81a221692f393030302f302f3302';
  t.is(one({ type: 'float', value: -30 }), `${prefix}f9cf80`);
  t.is(one({ type: 'float', value: 1.5 }), `${prefix}f93e00`);
  t.is(one({ type: 'float', value: 100000 }), `${prefix}fa47c35000`);
  t.is(one({ type: 'float', value: 0.1 }), `${prefix}fb3fb999999999999a`);
  t.is(one({ type: 'float', value: NaN }), `${prefix}f97e00`);
  t.is(one({ type: 'float', value: -Infinity }), `${prefix}f9fc00`);
  t.is(one({ type: 'integer', value: -30 }), `${prefix}381d`);
  t.is(one({ type: 'unsigned', value: 2n ** 64n - 1n }), `${prefix}1bffffffffffffffff`);
  t.is(one({ type: 'integer', value: -(2n ** 63n) }), `${prefix}3b7fffffffffffffff`);
});

test('labels: bn -2, bt -3, n 0, t 6, v 2, vs 3, vb 4, vd 8 and text "vlo"', (t) => {
  const out = codec.encodeValues(
    [
      { path: { objectId: 9000, instanceId: 1, resourceId: 0 }, value: { type: 'string', value: 'a' }, time: 1_700_000_000 },
      { path: { objectId: 9000, instanceId: 1, resourceId: 4 }, value: { type: 'boolean', value: true }, time: 1_700_000_001 },
      { path: { objectId: 9000, instanceId: 1, resourceId: 5 }, value: { type: 'opaque', value: Uint8Array.from([1]) }, time: 1_700_000_000 },
      { path: { objectId: 9000, instanceId: 1, resourceId: 7 }, value: { type: 'objlnk', value: { objectId: 1, instanceId: 2 } }, time: 1_700_000_000 },
    ],
    ctx,
  );
  t.is(
    hex(out),
    '84' +
      'a4' + '21' + '682f393030302f312f' + '22' + '1a6553f100' + '00' + '6130' + '03' + '6161' +
      'a3' + '00' + '6134' + '06' + '01' + '04' + 'f5' +
      'a2' + '00' + '6135' + '08' + '4101' +
      'a2' + '00' + '6137' + '63766c6f' + '63313a32',
  );
  t.deepEqual(codec.decodeValues(out, ctx).map((v) => v.time), [1_700_000_000, 1_700_000_001, 1_700_000_000, 1_700_000_000]);
});

test('Wakaama SenML CBOR write [{-2:"/31024/10/1", 2:88}] decodes as an integer write', (t) => {
  t.deepEqual(codec.decode(h('81a2216b2f33313032342f31302f31021858'), { objectId: 31024, instanceId: 10, resourceId: 1 }, ctx), {
    kind: 'resource',
    id: 1,
    value: { type: 'integer', value: 88 },
  });
});

test('a text string with invalid UTF-8 in a value decodes with U+FFFD (Wakaama "cbor\\xd6U")', (t) => {
  const [, , s] = codec.decodeValues(h('83a3216a2f33313032342f31302f006131021858a200613302f94640a2006135036663626f72d655'), ctx);
  t.deepEqual(s?.value, { type: 'string', value: 'cbor\ufffdU' });
});

test('Read-Composite path lists in SenML CBOR', (t) => {
  const paths = [{ objectId: 3, instanceId: 0, resourceId: 9 }, { objectId: 1, instanceId: 0 }];
  t.is(hex(codec.encodePaths(paths, ctx)), '82a100662f332f302f39a100642f312f30');
  t.deepEqual(codec.decodePaths(codec.encodePaths(paths, ctx), ctx), paths);
});

const bad: [string, string][] = [
  ['truncated', '81a2216b2f33313032342f31302f3102'],
  ['trailing bytes', '81a221662f332f302f3902186400'],
  ['not an array', 'a221662f332f302f39021864'],
  ['record not a map', '8101'],
  ['huge claimed array length', '9b00000000ffffffff00'],
  ['huge claimed byte string', '81a2216b2f33313032342f31302f31085a7fffffff00'],
  ['array claims more entries than bytes', '9a0100000000'],
  ['a tag', '81a221662f332f302f3902c11864'],
  ['undefined', '81a221662f332f302f3902f7'],
  ['label of a wrong type', '81a2216b2f33313032342f31302f31f41858'],
  ['bn not text', '81a2210102183d'],
  ['vb not boolean', '81a221672f312f302f313604183d'],
  ['missing name', '81a1021858'],
  ['name not a path', '81a221632f612f021858'],
  ['reserved additional info', '81a2216b2f33313032342f31302f31021c'],
  ['lone break', 'ff'],
  ['nested too deep', `${'81'.repeat(20)}00`],
  ['empty', ''],
];
for (const [what, payload] of bad) {
  test(`bad SenML CBOR is a 4.00 Lwm2mError: ${what}`, (t) => {
    const e = t.throws(() => codec.decodeValues(h(payload), ctx), { instanceOf: Lwm2mError });
    t.is(e?.coapCode, '4.00');
  });
}

test('a huge claimed length is refused before anything is allocated', (t) => {
  // 0x9a 0x06B0FBF0: an array of 112 M entries in 5 bytes; cbor-x alone would allocate it.
  const before = process.memoryUsage().heapUsed;
  t.throws(() => codec.decodeValues(h('9a06b0fbf0'), ctx), { instanceOf: Lwm2mError });
  t.true(process.memoryUsage().heapUsed - before < 50 * 1024 * 1024);
});
