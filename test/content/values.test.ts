import test from 'ava';
import { Lwm2mError } from '../../src/errors.js';
import { decodeBase64, encodeBase64Url, formatObjlnk, numberToValue, objlnkFromUint32, objlnkToUint32, parseObjlnk, stringToValue, valuesEqual } from '../../src/content/values.js';

test('integral doubles become integers, times and unsigneds; fractions do not', (t) => {
  t.deepEqual(numberToValue(1.795563452e9, 'time', 'x'), { type: 'time', value: 1795563452 });
  t.deepEqual(numberToValue(-48, 'integer', 'x'), { type: 'integer', value: -48 });
  t.deepEqual(numberToValue(2n ** 64n - 1n, 'unsigned', 'x'), { type: 'unsigned', value: 2n ** 64n - 1n });
  t.deepEqual(numberToValue(5n, 'integer', 'x'), { type: 'integer', value: 5 });
  t.deepEqual(numberToValue(7, 'float', 'x'), { type: 'float', value: 7 });
  for (const [n, type] of [[1.5, 'integer'], [-1, 'unsigned'], [2n ** 63n, 'integer'], [2n ** 64n, 'unsigned'], [0.5, 'time'], [1, 'string'], [1, 'boolean'], [NaN, 'integer']] as const) {
    const e = t.throws(() => numberToValue(n, type, 'x'), { instanceOf: Lwm2mError });
    t.is(e?.coapCode, '4.00');
  }
});

test('unknown resources: integral numbers are integers, others floats', (t) => {
  t.is(numberToValue(3, undefined, 'x').type, 'integer');
  t.is(numberToValue(3.25, undefined, 'x').type, 'float');
  t.is(numberToValue(Infinity, undefined, 'x').type, 'float');
});

test('object links "oid:iid" parse and format; 16-bit ids only', (t) => {
  t.deepEqual(parseObjlnk('3:0'), { objectId: 3, instanceId: 0 });
  t.deepEqual(parseObjlnk('65535:65535'), { objectId: 65535, instanceId: 65535 });
  t.is(formatObjlnk({ objectId: 12, instanceId: 34 }), '12:34');
  for (const s of ['3', '3:', ':0', '3:0:1', '65536:0', ' 3:0', '-1:0']) t.throws(() => parseObjlnk(s), { instanceOf: Lwm2mError }, s);
  t.deepEqual(objlnkFromUint32(objlnkToUint32({ objectId: 65535, instanceId: 2 })), { objectId: 65535, instanceId: 2 });
  t.deepEqual(stringToValue('3:1', 'objlnk', 'x'), { type: 'objlnk', value: { objectId: 3, instanceId: 1 } });
});

test('base64: url-safe unpadded out, both alphabets in, garbage rejected', (t) => {
  const bytes = Uint8Array.from([0xfb, 0xff, 0xbf, 0x00]);
  t.is(encodeBase64Url(bytes), '-_-_AA');
  t.deepEqual(decodeBase64('-_-_AA'), bytes);
  t.deepEqual(decodeBase64('+/+/AA=='), bytes);
  t.deepEqual(decodeBase64(''), new Uint8Array());
  for (const s of ['a', '!!!!', '+/-_', 'AAAAA']) t.throws(() => decodeBase64(s), { instanceOf: Lwm2mError }, s);
});

test('valuesEqual compares by type and content', (t) => {
  t.true(valuesEqual({ type: 'integer', value: 5 }, { type: 'integer', value: 5n }));
  t.false(valuesEqual({ type: 'integer', value: 5 }, { type: 'unsigned', value: 5 }));
  t.true(valuesEqual({ type: 'opaque', value: Uint8Array.from([1]) }, { type: 'opaque', value: Uint8Array.from([1]) }));
  t.false(valuesEqual({ type: 'opaque', value: Uint8Array.from([1]) }, { type: 'opaque', value: Uint8Array.from([2]) }));
  t.true(valuesEqual({ type: 'float', value: NaN }, { type: 'float', value: NaN }));
});
