import { badPayload, Lwm2mError } from '../errors.js';
import type { ResourceType } from '../model/types.js';
import type { LwM2mValue } from './types.js';

/**
 * Value bytes inside a TLV (LwM2M 1.1 Appendix C, "TLV" column):
 *   string, corelnk  UTF-8, no terminator
 *   integer, time    two's complement big-endian, 1, 2, 4 or 8 bytes (we write the shortest)
 *   unsigned         unsigned big-endian, 1, 2, 4 or 8 bytes
 *   float            IEEE 754 big-endian, 4 or 8 bytes (we write 4 when that is exact)
 *   boolean          1 byte, 0 or 1
 *   objlnk           2 bytes object id + 2 bytes instance id (65535:65535 is the null link)
 *   opaque           the bytes; none (executable) is empty
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Lenient UTF-8 (see decodeString): U+FFFD replaces broken sequences. */
const utf8Lenient = new TextDecoder('utf-8', { fatal: false });
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function toBigInt(v: number | bigint, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isInteger(v)) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `${what} ${v} is not a whole number`);
  return BigInt(v);
}

function writeBig(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = BigInt.asUintN(size * 8, v);
  for (let k = size - 1; k >= 0; k--) {
    out[k] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff;
}

/** The common case without BigInt: values that fit 1, 2 or 4 bytes. */
function encodeInt32(v: number): Uint8Array {
  if (v >= -128 && v <= 127) return Uint8Array.of(v & 0xff);
  if (v >= -32768 && v <= 32767) return Uint8Array.of((v >> 8) & 0xff, v & 0xff);
  return Uint8Array.of((v >> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
}

function encodeSigned(v: bigint): Uint8Array {
  if (v < INT64_MIN || v > INT64_MAX) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `integer ${v} is outside 64 bits`);
  const size = v >= -128n && v <= 127n ? 1 : v >= -32768n && v <= 32767n ? 2 : v >= -(2n ** 31n) && v < 2n ** 31n ? 4 : 8;
  return writeBig(v, size);
}

function encodeUnsigned(v: bigint): Uint8Array {
  if (v < 0n || v > UINT64_MAX) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `unsigned ${v} is outside 0..2^64-1`);
  const size = v <= 0xffn ? 1 : v <= 0xffffn ? 2 : v <= 0xffffffffn ? 4 : 8;
  return writeBig(v, size);
}

function encodeFloat(v: number): Uint8Array {
  // Math.fround is exact for NaN and ±Infinity too; Object.is keeps -0 (fround(-0) is -0).
  const single = Number.isNaN(v) || Object.is(Math.fround(v), v);
  const out = new Uint8Array(single ? 4 : 8);
  const view = new DataView(out.buffer);
  if (single) view.setFloat32(0, v);
  else view.setFloat64(0, v);
  return out;
}

export function encodeTlvValue(value: LwM2mValue): Uint8Array {
  switch (value.type) {
    case 'string':
    case 'corelnk':
      return utf8Encoder.encode(value.value);
    case 'integer':
    case 'time':
      return typeof value.value === 'number' && isInt32(value.value) ? encodeInt32(value.value) : encodeSigned(toBigInt(value.value, value.type));
    case 'unsigned':
      return encodeUnsigned(toBigInt(value.value, 'unsigned'));
    case 'float':
      return encodeFloat(value.value);
    case 'boolean':
      return Uint8Array.of(value.value ? 1 : 0);
    case 'objlnk': {
      const { objectId, instanceId } = value.value;
      for (const id of [objectId, instanceId]) {
        if (!Number.isInteger(id) || id < 0 || id > 0xffff) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `object link id ${id} is out of range`);
      }
      return Uint8Array.of(objectId >> 8, objectId & 0xff, instanceId >> 8, instanceId & 0xff);
    }
    case 'opaque':
      return value.value;
    case 'none':
      return new Uint8Array(0);
  }
}

/** Up to 6 bytes fit a double exactly, so the common sizes avoid BigInt. */
function readSmall(bytes: Uint8Array, signed: boolean): number {
  let x = 0;
  for (const byte of bytes) x = x * 256 + byte;
  const bits = bytes.length * 8;
  return signed && bytes[0]! >= 0x80 ? x - 2 ** bits : x;
}

function readBig(bytes: Uint8Array, signed: boolean): bigint {
  let x = 0n;
  for (const byte of bytes) x = (x << 8n) | BigInt(byte);
  return signed ? BigInt.asIntN(bytes.length * 8, x) : x;
}

function narrow(x: bigint): number | bigint {
  return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}

/** Result of decoding one value: the value, plus a note when something was tolerated. */
export interface DecodedTlvValue {
  value: LwM2mValue;
  warning?: string;
}

/**
 * Strings are decoded leniently: clients do send broken UTF-8 (Wakaama's example object returns
 * "new\xe8gU", fixtures/captures/README.md), and refusing the whole Read for one display string
 * would hide every other value. Broken sequences become U+FFFD and the caller gets a warning.
 */
function decodeString(bytes: Uint8Array): { text: string; warning?: string } {
  try {
    return { text: utf8Strict.decode(bytes) };
  } catch {
    return { text: utf8Lenient.decode(bytes), warning: 'invalid UTF-8 replaced by U+FFFD' };
  }
}

/** Decodes value bytes as `type`. Wrong sizes are a 4.00 naming `where`. */
export function decodeTlvValue(bytes: Uint8Array, type: ResourceType, where: string): DecodedTlvValue {
  const n = bytes.length;
  switch (type) {
    case 'string':
    case 'corelnk': {
      const { text, warning } = decodeString(bytes);
      const value: LwM2mValue = type === 'string' ? { type: 'string', value: text } : { type: 'corelnk', value: text };
      return warning === undefined ? { value } : { value, warning: `${where}: ${warning}` };
    }
    case 'integer':
    case 'time':
    case 'unsigned': {
      // The spec lists 1, 2, 4 and 8 bytes; 3, 5, 6 and 7 are read too since they are unambiguous.
      if (n < 1 || n > 8) throw badPayload(`${where}: ${type} of ${n} bytes (1..8 expected)`, '4.00');
      if (n <= 6) {
        const small = readSmall(bytes, type !== 'unsigned');
        if (type === 'time') return { value: { type: 'time', value: small } };
        return { value: type === 'integer' ? { type: 'integer', value: small } : { type: 'unsigned', value: small } };
      }
      const x = readBig(bytes, type !== 'unsigned');
      if (type === 'time') {
        if (x < BigInt(Number.MIN_SAFE_INTEGER) || x > BigInt(Number.MAX_SAFE_INTEGER)) throw badPayload(`${where}: time ${x} is out of range`, '4.00');
        return { value: { type: 'time', value: Number(x) } };
      }
      return { value: { type, value: narrow(x) } };
    }
    case 'float': {
      if (n !== 4 && n !== 8) throw badPayload(`${where}: float of ${n} bytes (4 or 8 expected)`, '4.00');
      const view = new DataView(bytes.buffer, bytes.byteOffset, n);
      return { value: { type: 'float', value: n === 4 ? view.getFloat32(0) : view.getFloat64(0) } };
    }
    case 'boolean':
      if (n !== 1 || bytes[0]! > 1) throw badPayload(`${where}: boolean must be one byte 0 or 1`, '4.00');
      return { value: { type: 'boolean', value: bytes[0] === 1 } };
    case 'objlnk':
      if (n !== 4) throw badPayload(`${where}: object link of ${n} bytes (4 expected)`, '4.00');
      return { value: { type: 'objlnk', value: { objectId: (bytes[0]! << 8) | bytes[1]!, instanceId: (bytes[2]! << 8) | bytes[3]! } } };
    case 'opaque':
      return { value: { type: 'opaque', value: new Uint8Array(bytes) } };
    case 'none':
      if (n === 0) return { value: { type: 'none', value: null } };
      return { value: { type: 'opaque', value: new Uint8Array(bytes) }, warning: `${where}: executable resource carried ${n} bytes, kept as opaque` };
  }
}
