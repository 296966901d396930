import test from 'ava';
import { Lwm2mError } from '../../src/errors.js';
import { formatPath } from '../../src/content/path.js';
import { senmlJsonCodec as codec } from '../../src/content/senml-json.js';
import type { TimestampedValue } from '../../src/content/types.js';
import { capturedPayloads } from './_b/capture-payloads.js';
import { ctxOf, emptyModels, NOW } from './_b/models.js';
import { fuzzSuite, roundTripSuite, timestampSuite } from './_b/suites.js';

const ctx = ctxOf();
const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const flat = (vs: TimestampedValue[]): string[] => vs.map((v) => `${formatPath(v.path)}=${v.value.type}:${String(v.value.value)}${v.time !== undefined ? `@${v.time}` : ''}`);

roundTripSuite(test, 'SenML JSON', codec, { json: true });
timestampSuite(test, 'SenML JSON', codec, { json: true });
fuzzSuite(
  test,
  'SenML JSON',
  codec,
  capturedPayloads([110]).map((p) => p.payload),
);

test('a Device instance like the TS-Core §7.4.6 example decodes with base name and relative names', (t) => {
  const body =
    '[{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},{"n":"1","vs":"Lightweight M2M Client"},' +
    '{"n":"2","vs":"345000123"},{"n":"3","vs":"1.0"},{"n":"6/0","v":1},{"n":"6/1","v":5},' +
    '{"n":"7/0","v":3800},{"n":"7/1","v":5000},{"n":"8/0","v":125},{"n":"8/1","v":900},' +
    '{"n":"9","v":100},{"n":"10","v":15},{"n":"11/0","v":0},{"n":"13","v":1367491215},' +
    '{"n":"14","vs":"+02:00"},{"n":"16","vs":"U"}]';
  const node = codec.decode(enc(body), { objectId: 3, instanceId: 0 }, ctx);
  t.is(node.kind, 'instance');
  if (node.kind !== 'instance') return;
  t.deepEqual(
    node.resources.map((r) => `${r.id}:${r.kind}`),
    ['0:resource', '1:resource', '2:resource', '3:resource', '6:multipleResource', '7:multipleResource', '8:multipleResource', '9:resource', '10:resource', '11:multipleResource', '13:resource', '14:resource', '16:resource'],
  );
  t.deepEqual(node.resources.find((r) => r.id === 13), { kind: 'resource', id: 13, value: { type: 'time', value: 1367491215 } });
});

test('the same instance encodes Wakaama style: bn is the request path, n the rest', (t) => {
  const node = codec.decode(enc('[{"bn":"/3/0/","n":"0","vs":"OMA"},{"n":"6/0","v":1},{"n":"9","v":100}]'), { objectId: 3, instanceId: 0 }, ctx);
  t.is(text(codec.encode(node, { objectId: 3, instanceId: 0 }, ctx)), '[{"bn":"/3/0/","n":"0","vs":"OMA"},{"n":"6/0","v":1},{"n":"9","v":100}]');
  t.is(text(codec.encode({ kind: 'resource', id: 0, value: { type: 'string', value: 'x' } }, { objectId: 3, instanceId: 0, resourceId: 0 }, ctx)), '[{"bn":"/3/0/0","vs":"x"}]');
});

test('floats keep a fraction on the wire, opaque is base64url without padding, object links use vlo', (t) => {
  const out = text(
    codec.encodeValues(
      [
        { path: { objectId: 9000, instanceId: 0, resourceId: 3 }, value: { type: 'float', value: -30 } },
        { path: { objectId: 9000, instanceId: 0, resourceId: 5 }, value: { type: 'opaque', value: Uint8Array.from([0xfb, 0xff, 0xfe]) } },
        { path: { objectId: 9000, instanceId: 0, resourceId: 7 }, value: { type: 'objlnk', value: { objectId: 3, instanceId: 0 } } },
        { path: { objectId: 9000, instanceId: 0, resourceId: 9 }, value: { type: 'none', value: null } },
      ],
      ctx,
    ),
  );
  t.is(out, '[{"bn":"/9000/0/","n":"3","v":-30.0},{"n":"5","vd":"-__-"},{"n":"7","vlo":"3:0"},{"n":"9"}]');
});

test('vd is read in base64url and in standard base64 with padding', (t) => {
  for (const vd of ['-__-', '+//+', 'IAAAAP8=', 'IAAAAP8']) {
    const [v] = codec.decodeValues(enc(`[{"bn":"/6/0/4","vd":"${vd}"}]`), ctx);
    t.is(v?.value.type, 'opaque', vd);
  }
  t.throws(() => codec.decodeValues(enc('[{"bn":"/6/0/4","vd":"@@@"}]'), ctx), { instanceOf: Lwm2mError });
});

test('times: bt + t, values below 2^28 are relative to now (RFC 8428 §4.5.3)', (t) => {
  const body = '[{"bn":"/3303/0/5700","bt":1700000000,"v":22.4,"t":-5},{"v":22.9,"t":-30},{"bt":-10,"v":23},{"bt":0,"t":0,"v":24}]';
  t.deepEqual(flat(codec.decodeValues(enc(body), ctx)), [
    '/3303/0/5700=float:22.4@1699999995',
    '/3303/0/5700=float:22.9@1699999970',
    `/3303/0/5700=float:23@${NOW - 10}`,
    `/3303/0/5700=float:24@${NOW}`,
  ]);
});

test('historical values for one path build the node from the newest', (t) => {
  const body = '[{"bn":"/3303/0/5700","bt":1700000000,"v":1},{"t":10,"v":3},{"t":5,"v":2}]';
  t.deepEqual(codec.decode(enc(body), { objectId: 3303, instanceId: 0, resourceId: 5700 }, ctx), { kind: 'resource', id: 5700, value: { type: 'float', value: 3 } });
});

test('the model types v: integer, float, time; unknown resources are inferred and kept', (t) => {
  const body = '[{"bn":"/","n":"3/0/9","v":100},{"n":"3303/0/5700","v":20},{"n":"3/0/13","v":1.795563452E9},{"n":"4242/0/1","v":1.5},{"n":"4242/0/2","v":7},{"n":"4242/0/3","vs":"s"},{"n":"4242/0/4","vb":true}]';
  t.deepEqual(flat(codec.decodeValues(enc(body), ctx)), [
    '/3/0/9=integer:100',
    '/3303/0/5700=float:20',
    '/3/0/13=time:1795563452',
    '/4242/0/1=float:1.5',
    '/4242/0/2=integer:7',
    '/4242/0/3=string:s',
    '/4242/0/4=boolean:true',
  ]);
  t.is(codec.decodeValues(enc('[{"bn":"/3/0/9","v":1}]'), { models: emptyModels })[0]?.value.type, 'integer');
});

test('Read-Composite path lists encode and decode (LwM2M 1.1 §6.3.8)', (t) => {
  const paths = [{ objectId: 3, instanceId: 0, resourceId: 0 }, { objectId: 1 }, {}];
  t.is(text(codec.encodePaths(paths, ctx)), '[{"n":"/3/0/0"},{"n":"/1"},{"n":"/"}]');
  t.deepEqual(codec.decodePaths(codec.encodePaths(paths, ctx), ctx), paths);
  t.deepEqual(codec.decodePaths(enc('[{"bn":"/3/0/","n":"0"},{"n":"9"}]'), ctx), [{ objectId: 3, instanceId: 0, resourceId: 0 }, { objectId: 3, instanceId: 0, resourceId: 9 }]);
});

test('decode rejects values outside the request path with 4.00', (t) => {
  const e = t.throws(() => codec.decode(enc('[{"bn":"/3/0/0","vs":"x"}]'), { objectId: 1, instanceId: 0 }, ctx), { instanceOf: Lwm2mError });
  t.is(e?.coapCode, '4.00');
});

const bad: [string, string][] = [
  ['truncated JSON', '[{"bn":"/3/0/0","vs":"x"'],
  ['not an array', '{"bn":"/3/0/0"}'],
  ['record not an object', '[1]'],
  ['missing name', '[{"v":1}]'],
  ['name that is not a path', '[{"n":"/3/zero/1","v":1}]'],
  ['id out of range', '[{"n":"/3/0/70000","v":1}]'],
  ['five levels', '[{"n":"/3/0/1/2/3","v":1}]'],
  ['value on an instance', '[{"n":"/3/0","v":1}]'],
  ['two values in one record', '[{"n":"/3/0/9","v":1,"vs":"1"}]'],
  ['wrong JSON type for vs', '[{"n":"/3/0/0","vs":1}]'],
  ['string for an integer resource', '[{"n":"/3/0/9","vs":"1"}]'],
  ['fraction for an integer resource', '[{"n":"/3/0/9","v":1.5}]'],
  ['duplicate path and time', '[{"n":"/3/0/9","v":1},{"n":"/3/0/9","v":2}]'],
  ['must-understand field', '[{"n":"/3/0/9","v":1,"x_":1}]'],
  ['non-ASCII name', '[{"n":"/3/0/\u00ff","v":1}]'],
  ['empty payload', ''],
  ['deep nesting', `${'['.repeat(100)}${']'.repeat(100)}`],
  ['bad object link', '[{"n":"/9000/0/7","vlo":"3-0"}]'],
  ['bad time', '[{"n":"/3/0/9","v":1,"t":"now"}]'],
];
for (const [what, body] of bad) {
  test(`bad input is a 4.00 Lwm2mError: ${what}`, (t) => {
    const e = t.throws(() => codec.decodeValues(enc(body), ctx), { instanceOf: Lwm2mError });
    t.is(e?.coapCode, '4.00');
  });
}

test('invalid UTF-8 bytes in a name fail, in a string value become U+FFFD', (t) => {
  const badName = Buffer.concat([enc('[{"n":"/3/0/'), Buffer.from([0xe8]), enc('","vs":"x"}]')]);
  t.throws(() => codec.decodeValues(badName, ctx), { instanceOf: Lwm2mError });
  const badValue = Buffer.concat([enc('[{"n":"/3/0/0","vs":"a'), Buffer.from([0xe8]), enc('"}]')]);
  t.deepEqual(codec.decodeValues(badValue, ctx)[0]?.value, { type: 'string', value: 'a\ufffd' });
});

test('limits: payload size, record count and value length are bounded', (t) => {
  const small = ctxOf({ limits: { maxPayloadBytes: 64 } });
  t.throws(() => codec.decodeValues(enc(`[{"n":"/3/0/0","vs":"${'x'.repeat(100)}"}]`), small), { instanceOf: Lwm2mError });
  const few = ctxOf({ limits: { maxEntries: 2 } });
  t.throws(() => codec.decodeValues(enc('[{"n":"/3/0/9","v":1},{"n":"/3/0/10","v":1},{"n":"/3/0/20","v":1}]'), few), { instanceOf: Lwm2mError });
  const short = ctxOf({ limits: { maxValueBytes: 4 } });
  t.throws(() => codec.decodeValues(enc('[{"n":"/3/0/0","vs":"12345"}]'), short), { instanceOf: Lwm2mError });
});
