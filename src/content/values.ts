import { badPayload, withArticle } from '../errors.js';
import type { ResourceModel, ResourceType } from '../model/types.js';
import type { CodecContext, LwM2mPath, LwM2mValue } from './types.js';

/**
 * Value coercion shared by the text-based and CBOR-based codecs: a raw number, boolean or
 * string taken off the wire becomes the LwM2mValue of the resource's model type
 * (LwM2M 1.1 TS-Core Appendix C, data types).
 */

/** The model of the resource at `path` (resource or resource-instance path), if known. */
export function resourceModelAt(path: LwM2mPath, ctx: CodecContext): ResourceModel | undefined {
  if (path.objectId === undefined || path.resourceId === undefined) return undefined;
  const version = ctx.objectVersions?.get(path.objectId);
  return ctx.models.resource(path.objectId, path.resourceId, version);
}

/** The model type of the resource at `path`, if known. */
export function modelTypeAt(path: LwM2mPath, ctx: CodecContext): ResourceType | undefined {
  return resourceModelAt(path, ctx)?.type;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

function isIntegral(n: number | bigint): boolean {
  return typeof n === 'bigint' || Number.isInteger(n);
}

/** Keeps integers exact: a number beyond 2^53 stays a number (already rounded), a bigint that fits a safe number becomes a number. */
function normaliseInteger(n: number | bigint): number | bigint {
  if (typeof n === 'bigint' && n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(n);
  return n;
}

/** Which type to give a number when the model does not know the resource. */
export function inferNumberType(n: number | bigint): ResourceType {
  return isIntegral(n) ? 'integer' : 'float';
}

/**
 * A numeric wire value (SenML "v", OMA JSON "v", CBOR int/float) as the model type.
 * Integral doubles are accepted for integer/unsigned/time resources (Leshan writes
 * `1.795563452E9`), fractional ones are not.
 */
export function numberToValue(n: number | bigint, type: ResourceType | undefined, where: string): LwM2mValue {
  if (typeof n === 'number' && !Number.isFinite(n) && type !== 'float' && type !== undefined) {
    throw badPayload(`${where}: non-finite number for ${withArticle(type)} resource`);
  }
  const t = type ?? inferNumberType(n);
  switch (t) {
    case 'float':
      return { type: 'float', value: Number(n) };
    case 'integer': {
      if (!isIntegral(n)) throw badPayload(`${where}: ${String(n)} is not an integer`);
      const big = BigInt(n);
      if (big < INT64_MIN || big > INT64_MAX) throw badPayload(`${where}: ${String(n)} is outside the 64-bit integer range`);
      return { type: 'integer', value: normaliseInteger(n) };
    }
    case 'unsigned': {
      if (!isIntegral(n)) throw badPayload(`${where}: ${String(n)} is not an unsigned integer`);
      const big = BigInt(n);
      if (big < 0n || big > UINT64_MAX) throw badPayload(`${where}: ${String(n)} is outside the unsigned 64-bit range`);
      return { type: 'unsigned', value: normaliseInteger(n) };
    }
    case 'time': {
      if (!isIntegral(n)) throw badPayload(`${where}: time ${String(n)} is not whole seconds`);
      const big = BigInt(n);
      if (big < BigInt(Number.MIN_SAFE_INTEGER) || big > BigInt(Number.MAX_SAFE_INTEGER)) throw badPayload(`${where}: time out of range`);
      return { type: 'time', value: Number(n) };
    }
    default:
      throw badPayload(`${where}: a number cannot hold ${withArticle(t)} value`);
  }
}

/** A string wire value (SenML "vs", OMA JSON "sv") as the model type. */
export function stringToValue(s: string, type: ResourceType | undefined, where: string): LwM2mValue {
  switch (type ?? 'string') {
    case 'string':
      return { type: 'string', value: s };
    case 'corelnk':
      return { type: 'corelnk', value: s };
    case 'objlnk':
      // LwM2M 1.0 JSON carries an object link as a string "oid:iid".
      return { type: 'objlnk', value: parseObjlnk(s, where) };
    case 'opaque':
      // Some clients put opaque data in a string; accept base64 there as well.
      return { type: 'opaque', value: decodeBase64(s, where) };
    default:
      throw badPayload(`${where}: a string cannot hold ${withArticle(type ?? 'string')} value`);
  }
}

export function booleanToValue(b: boolean, type: ResourceType | undefined, where: string): LwM2mValue {
  if (type !== undefined && type !== 'boolean') throw badPayload(`${where}: a boolean cannot hold ${withArticle(type)} value`);
  return { type: 'boolean', value: b };
}

export function bytesToValue(bytes: Uint8Array, type: ResourceType | undefined, where: string): LwM2mValue {
  if (type !== undefined && type !== 'opaque') throw badPayload(`${where}: opaque data cannot hold ${withArticle(type)} value`);
  return { type: 'opaque', value: bytes };
}

/** Object link "oid:iid" (LwM2M 1.1 §7.4.7 "vlo"; Appendix C Objlnk), each id 0..65535. */
export function parseObjlnk(s: string, where = 'objlnk'): { objectId: number; instanceId: number } {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(s);
  if (!m) throw badPayload(`${where}: invalid object link "${s.slice(0, 40)}"`);
  const objectId = Number(m[1]);
  const instanceId = Number(m[2]);
  if (objectId > 65535 || instanceId > 65535) throw badPayload(`${where}: object link id out of range`);
  return { objectId, instanceId };
}

export function formatObjlnk(v: { objectId: number; instanceId: number }): string {
  return `${v.objectId}:${v.instanceId}`;
}

/** Object link packed as one 32-bit unsigned (as in TLV): object id high 16 bits. */
export function objlnkFromUint32(n: number): { objectId: number; instanceId: number } {
  return { objectId: Math.floor(n / 65536) & 0xffff, instanceId: n & 0xffff };
}

export function objlnkToUint32(v: { objectId: number; instanceId: number }): number {
  return v.objectId * 65536 + v.instanceId;
}

/** RFC 8428 §5: "vd" is base64url without padding (RFC 4648 §5). */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Accepts base64url (RFC 8428) and standard base64 with or without padding (Wakaama writes
 * standard base64); rejects any other character so garbage is not silently dropped.
 */
export function decodeBase64(s: string, where = 'base64'): Uint8Array {
  const body = s.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/\-_]*$/.test(body) || body.length % 4 === 1) throw badPayload(`${where}: invalid base64 data`);
  if (/[+/]/.test(body) && /[-_]/.test(body)) throw badPayload(`${where}: mixed base64 alphabets`);
  return new Uint8Array(Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

/** Strict UTF-8 decoding: invalid sequences are a 4.00, not U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });
export function decodeUtf8(bytes: Uint8Array, where: string): string {
  try {
    return utf8.decode(bytes);
  } catch (e) {
    throw badPayload(`${where}: invalid UTF-8`, '4.00', e);
  }
}

/** Two values are the same LwM2M value (used by tests and de-duplication). */
export function valuesEqual(a: LwM2mValue, b: LwM2mValue): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'opaque': {
      const bv = b.value as Uint8Array;
      return a.value.length === bv.length && a.value.every((x, i) => x === bv[i]);
    }
    case 'objlnk': {
      const bv = b.value as { objectId: number; instanceId: number };
      return a.value.objectId === bv.objectId && a.value.instanceId === bv.instanceId;
    }
    case 'integer':
    case 'unsigned':
      return BigInt(a.value) === BigInt(b.value as number | bigint);
    case 'float':
      return Object.is(a.value, b.value) || a.value === b.value;
    default:
      return a.value === b.value;
  }
}
