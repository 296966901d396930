import test from 'ava';
import { Lwm2mError } from '../../src/errors.js';
import { omaJsonCodec as codec } from '../../src/content/oma-json.js';
import { formatPath } from '../../src/content/path.js';
import { nodeToValues } from '../../src/content/tree.js';
import type { LwM2mValue, TimestampedValue } from '../../src/content/types.js';
import { capturedPayloads, type CapturedPayload } from './_b/capture-payloads.js';
import { ctxOf, NOW } from './_b/models.js';
import { fuzzSuite, roundTripSuite, timestampSuite } from './_b/suites.js';

const ctx = ctxOf();
const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const all = capturedPayloads([11543, 1543]);

roundTripSuite(test, 'OMA JSON', codec, { json: true, skipTypes: ['none'] });
timestampSuite(test, 'OMA JSON', codec, { json: true, skipTypes: ['none'] });
fuzzSuite(
  test,
  'OMA JSON',
  codec,
  all.map((p) => p.payload),
);

function values(p: CapturedPayload): TimestampedValue[] {
  return p.kind === 'response' || p.kind === 'write' ? nodeToValues(codec.decode(p.payload, p.path, ctx), p.path) : codec.decodeValues(p.payload, ctx);
}
const valueAt = (p: CapturedPayload, path: string): LwM2mValue | undefined => values(p).find((v) => formatPath(v.path) === path)?.value;

test('every OMA JSON payload (11543 and 1543) in the captures decodes at its request path', (t) => {
  t.true(all.length >= 40, `found ${all.length}`);
  t.true(all.some((p) => p.format === 1543));
  for (const p of all) {
    try {
      t.true(values(p).length > 0, `${p.file} mid ${p.mid}`);
    } catch (e) {
      t.fail(`${p.file} mid ${p.mid} (${p.note}): ${String(e)}`);
    }
  }
});

test('Leshan writes times in Java double notation: "v":1.795563452E9 on /3/0/13 is a time', (t) => {
  const p = all.find((x) => x.file === 'leshan-read-formats.jsonl' && formatPath(x.path) === '/3/0/13')!;
  t.deepEqual(valueAt(p, '/3/0/13'), { type: 'time', value: 1795564012 });
  const loc = all.find((x) => x.file === 'leshan-read-formats.jsonl' && formatPath(x.path) === '/6/0')!;
  t.deepEqual(valueAt(loc, '/6/0/5'), { type: 'time', value: 1795564010 });
  t.deepEqual(valueAt(loc, '/6/0/0'), { type: 'float', value: -48 });
});

test('Wakaama OMA JSON: sv strings, an object read named from /3/0/, opaque as base64 in sv', (t) => {
  const dev = all.find((x) => x.file === 'wakaama-read-formats.jsonl' && x.format === 11543 && formatPath(x.path) === '/3')!;
  t.deepEqual(valueAt(dev, '/3/0/0'), { type: 'string', value: 'Open Mobile Alliance' });
  const opaque = all.find((x) => x.file === 'wakaama-read-formats.jsonl' && x.format === 11543 && formatPath(x.path) === '/6/0/4')!;
  t.is(Buffer.from(valueAt(opaque, '/6/0/4')!.value as Uint8Array).toString('hex'), '20000000ff');
  const legacy = all.find((x) => x.file === 'wakaama-read-formats.jsonl' && x.format === 1543 && formatPath(x.path) === '/31024')!;
  t.deepEqual(valueAt(legacy, '/31024/11/3'), { type: 'float', value: -28.99 });
});

test('both write forms decode to the same resource (fixtures/captures/README.md)', (t) => {
  const path = { objectId: 31024, instanceId: 10, resourceId: 1 };
  const a = codec.decode(enc('{"bn":"/31024/10/1","e":[{"v":80}]}'), path, ctx);
  const b = codec.decode(enc('{"bn":"/31024/10/","e":[{"n":"1","v":80}]}'), path, ctx);
  t.deepEqual(a, { kind: 'resource', id: 1, value: { type: 'integer', value: 80 } });
  t.deepEqual(b, a);
  // Without bn or n the entry is the request target itself.
  t.deepEqual(codec.decode(enc('{"e":[{"v":80}]}'), path, ctx), a);
});

test('writes are encoded in the form Wakaama accepts: bn is the parent, n the last id', (t) => {
  const path = { objectId: 31024, instanceId: 10, resourceId: 1 };
  t.is(text(codec.encode({ kind: 'resource', id: 1, value: { type: 'integer', value: 80 } }, path, ctx)), '{"bn":"/31024/10/","e":[{"n":"1","v":80}]}');
  t.is(
    text(codec.encode({ kind: 'instance', id: 21, resources: [{ kind: 'resource', id: 5700, value: { type: 'float', value: 22.5 } }, { kind: 'resource', id: 5701, value: { type: 'string', value: 'cel' } }] }, { objectId: 3303 }, ctx)),
    '{"bn":"/3303/21/","e":[{"n":"5700","v":22.5},{"n":"5701","sv":"cel"}]}',
  );
});

test('every value type has its field: v, sv, bv, ov; opaque in standard base64', (t) => {
  const at = (rid: number) => ({ objectId: 9000, instanceId: 0, resourceId: rid });
  const out = text(
    codec.encodeValues(
      [
        { path: at(3), value: { type: 'float', value: -30 } },
        { path: at(4), value: { type: 'boolean', value: false } },
        { path: at(5), value: { type: 'opaque', value: Uint8Array.from([0xfb, 0xff]) } },
        { path: at(7), value: { type: 'objlnk', value: { objectId: 3, instanceId: 1 } } },
        { path: at(8), value: { type: 'corelnk', value: '</3>' } },
      ],
      ctx,
    ),
  );
  t.is(out, '{"bn":"/9000/0/","e":[{"n":"3","v":-30.0},{"n":"4","bv":false},{"n":"5","sv":"+/8="},{"n":"7","ov":"3:1"},{"n":"8","sv":"</3>"}]}');
});

test('the LwM2M 1.0 §6.4.4 example with base time and negative offsets', (t) => {
  // Object 72 is unknown to the model: numbers are inferred.
  const body = '{"bn":"/72/","e":[{"n":"1/2","v":22.4,"t":-5},{"n":"1/2","v":22.9,"t":-30},{"n":"1/2","v":24.1,"t":-50}],"bt":25462634}';
  t.deepEqual(
    codec.decodeValues(enc(body), ctx).map((v) => [formatPath(v.path), v.value.value, v.time]),
    [
      ['/72/1/2', 22.4, 25462629],
      ['/72/1/2', 22.9, 25462604],
      ['/72/1/2', 24.1, 25462584],
    ],
  );
  t.is(codec.decodeValues(enc('{"e":[{"n":"/3/0/9","v":1,"t":-5}]}'), ctx)[0]?.time, NOW - 5);
});

const bad: [string, string][] = [
  ['truncated', '{"bn":"/3/0/","e":[{"n":"0","sv":"x"}'],
  ['not an object', '[]'],
  ['e missing', '{"bn":"/3/0/"}'],
  ['entry not an object', '{"e":[3]}'],
  ['no value', '{"e":[{"n":"/3/0/0"}]}'],
  ['two values', '{"e":[{"n":"/3/0/9","v":1,"sv":"1"}]}'],
  ['name not a path', '{"bn":"/3/x/","e":[{"n":"0","sv":"a"}]}'],
  ['value on an object', '{"e":[{"n":"/3","v":1}]}'],
  ['wrong type for bv', '{"e":[{"n":"/1/0/6","bv":"true"}]}'],
  ['bad ov', '{"e":[{"n":"/9000/0/7","ov":"3"}]}'],
  ['fraction for an integer', '{"e":[{"n":"/3/0/9","v":9.5}]}'],
  ['duplicate path', '{"e":[{"n":"/3/0/9","v":1},{"n":"/3/0/9","v":2}]}'],
  ['deep nesting', `{"e":${'['.repeat(50)}${']'.repeat(50)}}`],
];
for (const [what, body] of bad) {
  test(`bad OMA JSON is a 4.00 Lwm2mError: ${what}`, (t) => {
    const e = t.throws(() => codec.decodeValues(enc(body), ctx), { instanceOf: Lwm2mError });
    t.is(e?.coapCode, '4.00');
  });
}
