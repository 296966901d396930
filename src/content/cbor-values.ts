import { badPayload, withArticle } from '../errors.js';
import type { ResourceType } from '../model/types.js';
import { isBytes, ownBytes } from './cbor-wire.js';
import type { CborWriter } from './cbor-writer.js';
import type { LwM2mValue } from './types.js';
import { booleanToValue, bytesToValue, numberToValue, stringToValue } from './values.js';

/**
 * One LwM2M value as a plain CBOR data item, shared by CBOR (60, LwM2M 1.1 TS-Core §7.4.4
 * CBOR) and LwM2M CBOR (11544, LwM2M 1.2 §7.4.6): integers as CBOR integers, floats in
 * the shortest exact precision, strings/core links as text, object links as text "oid:iid",
 * opaque as a byte string, time as an integer. Reading also takes tag 1 (epoch time, RFC 8949
 * §3.4.2), tag 0 (RFC 3339 date/time text) and tag 4 (decimal fraction) which cbor-x turns
 * into a Date or a number.
 */
export const VALUE_TAGS = [0, 1, 4] as const;

export function writeCborValue(w: CborWriter, value: LwM2mValue): void {
  switch (value.type) {
    case 'string':
    case 'corelnk':
      w.text(value.value);
      return;
    case 'objlnk':
      w.text(`${value.value.objectId}:${value.value.instanceId}`);
      return;
    case 'opaque':
      w.bytes(value.value);
      return;
    case 'boolean':
      w.bool(value.value);
      return;
    case 'integer':
    case 'unsigned':
      w.int(value.value);
      return;
    case 'time':
      if (Number.isSafeInteger(value.value)) w.int(value.value);
      else w.float(value.value);
      return;
    case 'float':
      w.float(value.value);
      return;
    case 'none':
      w.null();
      return;
  }
}

/** A decoded CBOR item as the model type (inferred when the model does not know it). */
export function readCborValue(item: unknown, type: ResourceType | undefined, where: string): LwM2mValue {
  if (item === null) {
    if (type !== undefined && type !== 'none') throw badPayload(`${where}: null for ${withArticle(type)} resource`);
    return { type: 'none', value: null };
  }
  if (typeof item === 'number' || typeof item === 'bigint') return numberToValue(item, type, where);
  if (typeof item === 'boolean') return booleanToValue(item, type, where);
  if (typeof item === 'string') return stringToValue(item, type, where);
  if (isBytes(item)) return bytesToValue(ownBytes(item), type, where);
  if (item instanceof Date) {
    const ms = item.getTime();
    if (!Number.isFinite(ms)) throw badPayload(`${where}: invalid date`);
    if (type !== undefined && type !== 'time' && type !== 'integer' && type !== 'unsigned') {
      throw badPayload(`${where}: a date cannot hold ${withArticle(type)} value`);
    }
    return numberToValue(Math.floor(ms / 1000), type ?? 'time', where);
  }
  throw badPayload(`${where}: unexpected CBOR item (${Array.isArray(item) ? 'array' : item instanceof Map ? 'map' : typeof item})`);
}
