import { badPayload } from '../errors.js';
import type { LwM2mValue } from './types.js';

/**
 * The stable JSON shape of a value in the API and the object store:
 *   { "type": "float", "value": 21.5 }
 *   { "type": "integer", "value": 42 }              (beyond ±2^53: a decimal string)
 *   { "type": "opaque", "value": "AQID" }            (base64)
 *   { "type": "time", "value": 1700000000, "iso": "2023-11-14T22:13:20.000Z" }
 *   { "type": "objlnk", "value": "3:0" }
 *   { "type": "boolean" | "string" | "corelnk", "value": ... }, { "type": "none", "value": null }
 */
export type JsonValue =
  | { type: 'string' | 'corelnk'; value: string }
  | { type: 'integer' | 'unsigned'; value: number | string }
  | { type: 'float'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'opaque'; value: string }
  | { type: 'time'; value: number; iso: string }
  | { type: 'objlnk'; value: string }
  | { type: 'none'; value: null };

export function valueToJson(v: LwM2mValue): JsonValue {
  switch (v.type) {
    case 'integer':
    case 'unsigned':
      return { type: v.type, value: typeof v.value === 'bigint' ? (Number.isSafeInteger(Number(v.value)) ? Number(v.value) : v.value.toString()) : v.value };
    case 'opaque':
      return { type: 'opaque', value: Buffer.from(v.value).toString('base64') };
    case 'time':
      return { type: 'time', value: v.value, iso: isoOf(v.value) };
    case 'objlnk':
      return { type: 'objlnk', value: `${v.value.objectId}:${v.value.instanceId}` };
    default:
      return v;
  }
}

function isoOf(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** Parses the JSON shape back (API request bodies, stored values). Bad shapes are a 4.00. */
export function valueFromJson(j: unknown): LwM2mValue {
  if (!j || typeof j !== 'object') throw badPayload('a value must be an object {"type":..., "value":...}');
  const { type, value } = j as { type?: unknown; value?: unknown };
  switch (type) {
    case 'string':
    case 'corelnk':
      if (typeof value !== 'string') break;
      return { type, value };
    case 'integer':
    case 'unsigned': {
      if (typeof value === 'number' && Number.isInteger(value)) {
        if (type === 'unsigned' && value < 0) break;
        return { type, value };
      }
      if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) {
        const big = BigInt(value);
        if (big < -(2n ** 63n) || big >= 2n ** 64n || (type === 'unsigned' && big < 0n) || (type === 'integer' && big >= 2n ** 63n)) break;
        return { type, value: Number.isSafeInteger(Number(big)) ? Number(big) : big };
      }
      break;
    }
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value)) break;
      return { type, value };
    case 'boolean':
      if (typeof value !== 'boolean') break;
      return { type, value };
    case 'opaque':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) break;
      return { type, value: Buffer.from(value, 'base64') };
    case 'time': {
      const t = typeof value === 'string' ? Date.parse(value) / 1000 : value;
      if (typeof t !== 'number' || !Number.isFinite(t)) break;
      return { type, value: Math.trunc(t) };
    }
    case 'objlnk': {
      const m = typeof value === 'string' ? /^(\d{1,5}):(\d{1,5})$/.exec(value) : null;
      if (!m || Number(m[1]) > 65535 || Number(m[2]) > 65535) break;
      return { type, value: { objectId: Number(m[1]), instanceId: Number(m[2]) } };
    }
    case 'none':
      return { type: 'none', value: null };
    default:
      throw badPayload(`unknown value type ${JSON.stringify(type)}`);
  }
  throw badPayload(`invalid ${String(type)} value ${JSON.stringify(value)}`);
}
