import test from 'ava';
import { decodeOpaque, encodeOpaque, opaqueCodec } from '../../src/content/opaque.js';
import { parsePath } from '../../src/content/path.js';
import { decodeText, encodeText, formatTextValue, textCodec } from '../../src/content/text.js';
import type { LwM2mNode, LwM2mValue } from '../../src/content/types.js';
import { formatDecimal } from '../../src/content/value-text.js';
import { Lwm2mError } from '../../src/errors.js';
import { PROPERTY_OBJECT } from './_nodes.js';
import { testContext, testModels } from './_models.js';

const ctx = { models: testModels([PROPERTY_OBJECT]) };
const str = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
/** Resource ids of PROPERTY_OBJECT by type (single-instance ones). */
const ID: Record<string, number> = Object.fromEntries(PROPERTY_OBJECT.resources.filter((r) => !r.multiple).map((r) => [r.type, r.id]));
const at = (type: string): string => `/40000/0/${ID[type]}`;

function text(type: string, value: LwM2mValue): string {
  return str(encodeText({ kind: 'resource', id: ID[type]!, value }, parsePath(at(type))));
}

test('every value type has its text form', (t) => {
  t.is(text('string', { type: 'string', value: 'Grüße' }), 'Grüße');
  t.is(text('integer', { type: 'integer', value: -42 }), '-42');
  t.is(text('integer', { type: 'integer', value: -(2n ** 63n) }), '-9223372036854775808');
  t.is(text('unsigned', { type: 'unsigned', value: 2n ** 64n - 1n }), '18446744073709551615');
  t.is(text('float', { type: 'float', value: 0.1 }), '0.1');
  t.is(text('float', { type: 'float', value: -30 }), '-30');
  t.is(text('float', { type: 'float', value: 1e21 }), '1000000000000000000000');
  t.is(text('float', { type: 'float', value: 5e-324 }), `0.${'0'.repeat(323)}5`);
  t.is(text('boolean', { type: 'boolean', value: true }), '1');
  t.is(text('time', { type: 'time', value: 1700000000 }), '1700000000');
  t.is(text('objlnk', { type: 'objlnk', value: { objectId: 3, instanceId: 0 } }), '3:0');
  t.is(text('opaque', { type: 'opaque', value: Uint8Array.of(0x20, 0, 0, 0, 0xff) }), 'IAAAAP8=');
  t.is(text('corelnk', { type: 'corelnk', value: '</3/0>' }), '</3/0>');
  t.is(text('none', { type: 'none', value: null }), '');
});

test('text values read back as the model type', (t) => {
  const dec = (type: string, s: string) => decodeText(Buffer.from(s), parsePath(at(type)), ctx).node;
  t.deepEqual(dec('integer', '-9223372036854775808'), { kind: 'resource', id: ID['integer']!, value: { type: 'integer', value: -(2n ** 63n) } });
  t.deepEqual(dec('float', '1.5e3'), { kind: 'resource', id: ID['float']!, value: { type: 'float', value: 1500 } });
  t.deepEqual(dec('boolean', '0'), { kind: 'resource', id: ID['boolean']!, value: { type: 'boolean', value: false } });
  t.deepEqual(dec('objlnk', '65535:65535'), { kind: 'resource', id: ID['objlnk']!, value: { type: 'objlnk', value: { objectId: 65535, instanceId: 65535 } } });
  t.deepEqual(dec('opaque', 'IAAAAP8'), { kind: 'resource', id: ID['opaque']!, value: { type: 'opaque', value: Uint8Array.of(0x20, 0, 0, 0, 0xff) } });
  t.deepEqual(decodeText(Buffer.from('7'), parsePath('/3/0/6/1'), testContext()).node, { kind: 'resourceInstance', id: 1, value: { type: 'integer', value: 7 } });
});

test('malformed text values are 4.00 with the path in the message', (t) => {
  const bad: [string, string][] = [
    ['integer', '12a'], ['integer', '9223372036854775808'], ['integer', ' 1'], ['unsigned', '-1'],
    ['float', 'NaN'], ['float', '1e999'], ['float', '0x10'], ['boolean', 'true'], ['boolean', '2'],
    ['time', '1.5'], ['objlnk', '3'], ['objlnk', '70000:0'], ['opaque', 'a*b='], ['none', 'x'],
  ];
  for (const [type, s] of bad) {
    const e = t.throws<Lwm2mError>(() => decodeText(Buffer.from(s), parsePath(at(type)), ctx), undefined, `${type} ${s}`);
    t.is(e!.coapCode, '4.00', `${type} ${s}`);
    t.true(e!.message.includes(at(type)), e!.message);
  }
  const e = t.throws<Lwm2mError>(() => decodeText(Uint8Array.of(0x31, 0xff), parsePath(at('integer')), ctx));
  t.regex(e!.message, /not valid UTF-8/);
});

test('an unknown resource reads as a string with a warning', (t) => {
  const r = decodeText(Buffer.from('hello'), parsePath('/3/0/99'), testContext());
  t.deepEqual(r.node, { kind: 'resource', id: 99, value: { type: 'string', value: 'hello' } });
  t.is(r.warnings.length, 1);
});

test('text refuses several values: 4.06 to encode, 4.15 to decode', (t) => {
  const inst: LwM2mNode = { kind: 'instance', id: 0, resources: [] };
  t.is(t.throws<Lwm2mError>(() => encodeText(inst, parsePath('/3/0')))!.coapCode, '4.06');
  const multi: LwM2mNode = { kind: 'multipleResource', id: 6, type: 'integer', instances: [] };
  t.is(t.throws<Lwm2mError>(() => textCodec.encode(multi, parsePath('/3/0/6'), ctx))!.coapCode, '4.06');
  t.is(t.throws<Lwm2mError>(() => textCodec.decode(Buffer.from('1'), parsePath('/3/0'), ctx))!.coapCode, '4.15');
  t.is(t.throws<Lwm2mError>(() => textCodec.decode(Buffer.from('1'), parsePath('/3/0/6'), testContext()))!.coapCode, '4.15');
});

test('octet-stream carries exactly the bytes of an opaque resource', (t) => {
  const bytes = Uint8Array.of(0, 1, 2, 0xff);
  const node: LwM2mNode = { kind: 'resource', id: ID['opaque']!, value: { type: 'opaque', value: bytes } };
  t.deepEqual(encodeOpaque(node, parsePath(at('opaque'))), bytes);
  t.deepEqual(opaqueCodec.decode(bytes, parsePath(at('opaque')), ctx), node);
  t.deepEqual(decodeOpaque(bytes, parsePath('/3/0/99'), testContext()), { kind: 'resource', id: 99, value: { type: 'opaque', value: bytes } });
});

test('octet-stream refuses other types and several values', (t) => {
  const s: LwM2mNode = { kind: 'resource', id: 0, value: { type: 'string', value: 'x' } };
  t.is(t.throws<Lwm2mError>(() => encodeOpaque(s, parsePath('/3/0/0')))!.coapCode, '4.06');
  t.is(t.throws<Lwm2mError>(() => encodeOpaque({ kind: 'instance', id: 0, resources: [] }, parsePath('/3/0')))!.coapCode, '4.06');
  t.is(t.throws<Lwm2mError>(() => decodeOpaque(Buffer.from('x'), parsePath('/3/0/0'), testContext()))!.coapCode, '4.15');
  t.is(t.throws<Lwm2mError>(() => decodeOpaque(Buffer.from('x'), parsePath('/3/0'), testContext()))!.coapCode, '4.15');
  t.is(t.throws<Lwm2mError>(() => decodeOpaque(new Uint8Array(11), parsePath('/6/0/4'), testContext({ limits: { maxValueBytes: 10 } })))!.coapCode, '4.00');
});

test('decimal formatting is the shortest round trip, without exponent', (t) => {
  for (const x of [0.1, 1 / 3, -1e-7, 123456789012345680000, 2 ** 53 + 2, Number.MAX_VALUE, -Number.MIN_VALUE, -0]) {
    const s = formatDecimal(x);
    t.false(/e/i.test(s), s);
    t.true(Object.is(Number(s), x), s);
  }
  t.is(formatTextValue({ type: 'float', value: -0 }), '-0');
  t.throws(() => formatDecimal(Infinity), { instanceOf: Lwm2mError });
});
