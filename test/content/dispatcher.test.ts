import test from 'ava';
import {
  codecFor,
  commonPath,
  decode,
  decodeFlat,
  decodePaths,
  decodeValues,
  decodeWithWarnings,
  encode,
  encodePaths,
  encodeValues,
  formatName,
  isSupportedFormat,
} from '../../src/content/index.js';
import { formatPath, parsePath } from '../../src/content/path.js';
import { nodeToValues } from '../../src/content/tree.js';
import type { CodecContext, LwM2mNode, LwM2mPath, TimestampedValue } from '../../src/content/types.js';
import { Lwm2mError } from '../../src/errors.js';
import { capturedPayloads } from './_payloads.js';
import { testContext } from './_models.js';

const ctx = testContext();

const DEVICE: LwM2mNode = {
  kind: 'instance',
  id: 0,
  resources: [
    { kind: 'resource', id: 0, value: { type: 'string', value: 'Open Mobile Alliance' } },
    { kind: 'multipleResource', id: 6, type: 'integer', instances: [
      { kind: 'resourceInstance', id: 0, value: { type: 'integer', value: 1 } },
      { kind: 'resourceInstance', id: 1, value: { type: 'integer', value: 5 } },
    ] },
    { kind: 'resource', id: 9, value: { type: 'integer', value: 100 } },
    { kind: 'resource', id: 13, value: { type: 'time', value: 1700000000 } },
  ],
};

test('unknown formats are 4.15 everywhere', (t) => {
  t.false(isSupportedFormat(9999));
  t.true(isSupportedFormat(11542) && isSupportedFormat(1542) && isSupportedFormat(0) && isSupportedFormat(42));
  for (const fn of [() => codecFor(9999), () => encode(9999, DEVICE, parsePath('/3/0'), ctx), () => decode(9999, new Uint8Array(), parsePath('/3/0'), ctx), () => decodeValues(41, new Uint8Array(), parsePath('/3/0'), ctx)]) {
    const e = t.throws<Lwm2mError>(fn);
    t.is(e!.coapCode, '4.15');
    t.is(e!.code, 'LWM2M_ERR_UNSUPPORTED_FORMAT');
  }
  t.is(formatName(11542), 'application/vnd.oma.lwm2m+tlv (11542)');
});

test('TLV, text and opaque go through the dispatcher unchanged', (t) => {
  const path = parsePath('/3/0');
  const tlv = encode(11542, DEVICE, path, ctx);
  t.deepEqual(decode(11542, tlv, path, ctx), DEVICE);
  t.deepEqual(decode(1542, tlv, path, ctx), DEVICE);
  t.is(Buffer.from(encode(0, { kind: 'resource', id: 9, value: { type: 'integer', value: 100 } }, parsePath('/3/0/9'), ctx)).toString(), '100');
  t.deepEqual(decodeWithWarnings(11542, Uint8Array.of(0xc1, 0x63, 0x01), path, ctx).warnings.length, 1);
});

test('decodeValues flattens a TLV answer into one value per resource instance', (t) => {
  const p = capturedPayloads([11542]).find((x) => x.file === 'wakaama-read-formats.jsonl' && formatPath(x.path) === '/3/0')!;
  const values = decodeValues(11542, p.payload, p.path, ctx);
  const byPath = new Map(values.map((v) => [formatPath(v.path), v.value]));
  t.deepEqual(byPath.get('/3/0/0'), { type: 'string', value: 'Open Mobile Alliance' });
  t.deepEqual(byPath.get('/3/0/6/1'), { type: 'integer', value: 5 });
  t.false(byPath.has('/3/0/6'));
});

test('every value format gives the same flat values for the Device instance', (t) => {
  const path = parsePath('/3/0');
  const reference = decodeValues(11542, encode(11542, DEVICE, path, ctx), path, ctx);
  t.is(reference.length, 5);
  for (const format of [110, 112, 11543, 1543, 11544]) {
    const payload = encode(format, DEVICE, path, ctx);
    const values = decodeValues(format, payload, path, ctx).map((v) => ({ path: v.path, value: v.value }));
    t.deepEqual(values, reference, formatName(format));
    t.deepEqual(decode(format, payload, path, ctx), DEVICE, formatName(format));
  }
});

test('encodeValues builds the node at the common path for node formats', (t) => {
  const values: TimestampedValue[] = [
    { path: parsePath('/3/0/9'), value: { type: 'integer', value: 7 } },
    { path: parsePath('/3/0/0'), value: { type: 'string', value: 'x' } },
  ];
  t.deepEqual(commonPath(values), parsePath('/3/0'));
  t.deepEqual(commonPath([]), {});
  const tlv = encodeValues(11542, values, ctx);
  t.deepEqual(decodeValues(11542, tlv, parsePath('/3/0'), ctx), [values[1], values[0]]);
  t.is(Buffer.from(encodeValues(0, [values[0]!], ctx)).toString(), '7');
  t.is(t.throws<Lwm2mError>(() => encodeValues(0, values, ctx))!.coapCode, '4.06');
  t.is(t.throws<Lwm2mError>(() => encodeValues(11542, values, ctx, parsePath('/3/0/9')))!.code, 'LWM2M_ERR_BAD_REQUEST');
});

test('path lists need a composite format', (t) => {
  const paths = [parsePath('/3/0/9'), parsePath('/1/0')];
  for (const f of [110, 112, 11544]) t.deepEqual(decodePaths(f, encodePaths(f, paths, ctx), ctx), paths, formatName(f));
  t.is(t.throws<Lwm2mError>(() => encodePaths(11542, paths, ctx))!.coapCode, '4.06');
  t.is(t.throws<Lwm2mError>(() => decodePaths(0, new Uint8Array(), ctx))!.coapCode, '4.15');
});

test('payloads over the size limit are refused before any decoder runs', (t) => {
  const small = testContext({ limits: { maxPayloadBytes: 4 } });
  for (const f of [0, 42, 110, 11542]) {
    const e = t.throws<Lwm2mError>(() => decode(f, new Uint8Array(5), parsePath('/3/0/0'), small));
    t.regex(e!.message, /exceeds 4/);
  }
});

/** decodeFlat's answer, or the error it throws, next to nodeToValues(decode(...))'s. */
function bothWays(format: number, payload: Uint8Array, path: LwM2mPath, c: CodecContext = ctx): [unknown, unknown] {
  const run = (fn: () => TimestampedValue[]): unknown => {
    try {
      return fn();
    } catch (e) {
      return { error: (e as Lwm2mError).code, coap: (e as Lwm2mError).coapCode, message: (e as Error).message };
    }
  };
  return [run(() => decodeFlat(format, payload, path, c)), run(() => nodeToValues(decode(format, payload, path, c), path))];
}

test('decodeFlat flattens what decode gives, for every captured payload', (t) => {
  const payloads = capturedPayloads([0, 42, 110, 112, 11542, 1542, 11543, 1543, 11544]).filter((p) => p.role === 'response');
  t.true(payloads.length > 20);
  for (const p of payloads) {
    const [flat, viaNode] = bothWays(p.format, p.payload, p.path);
    t.deepEqual(flat, viaNode, `${p.file}: ${p.note} ${formatPath(p.path)} (${p.format})`);
  }
});

test('decodeFlat of a single-value SenML or LwM2M CBOR payload matches the node, timestamps and errors included', (t) => {
  const at = parsePath('/3303/0/5700');
  const v = (time?: number, path = at, value = 21.5): TimestampedValue => ({ path, value: { type: 'float', value }, ...(time === undefined ? {} : { time }) });
  const cases: [string, TimestampedValue[], LwM2mPath][] = [
    ['one value at the target', [v()], at],
    ['one timestamped value at the target', [v(1_700_000_000)], at],
    ['two times of the target: the newest', [v(1_700_000_000, at, 1), v(1_700_000_100, at, 2)], at],
    ['a value below the target (resource instance)', [v(undefined, parsePath('/3303/0/5700/1'))], at],
    ['a value beside the target', [v(undefined, parsePath('/3303/0/5701'))], at],
    ['a value at a resource instance target', [v(undefined, parsePath('/3303/0/5700/1'))], parsePath('/3303/0/5700/1')],
    ['two resources of an instance', [v(undefined, parsePath('/3303/0/5700')), v(undefined, parsePath('/3303/0/5701'))], parsePath('/3303/0')],
  ];
  for (const format of [110, 112, 11543, 11544]) {
    for (const [name, values, path] of cases) {
      // LwM2M CBOR carries no timestamps.
      if (format === 11544 && values.some((x) => x.time !== undefined)) continue;
      const [flat, viaNode] = bothWays(format, encodeValues(format, values, ctx), path);
      t.deepEqual(flat, viaNode, `${formatName(format)}: ${name}`);
    }
  }
  const one = decodeFlat(112, encodeValues(112, [v(1_700_000_000)], ctx), at, ctx);
  t.deepEqual(one, [{ path: at, value: { type: 'float', value: 21.5 } }], 'as the node: no time');
  t.not(one[0]!.path, at, 'a path of its own');
});
