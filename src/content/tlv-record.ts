import { badPayload, Lwm2mError, withArticle } from '../errors.js';
import type { DecodeLimits } from './types.js';

/**
 * The OMA-TLV wire structure (LwM2M 1.1 §7.4.3, table 7.4.3-1), without any meaning attached:
 *
 *   type byte  bits 7-6  identifier kind: 00 object instance, 01 resource instance,
 *                                         10 multiple resource, 11 resource with value
 *              bit 5     identifier length: 0 = 8 bits, 1 = 16 bits
 *              bits 4-3  length field: 00 = length in bits 2-0, 01/10/11 = 8/16/24-bit length
 *              bits 2-0  length when bits 4-3 are 00
 *   identifier 1 or 2 bytes, big-endian
 *   length     0-3 bytes, big-endian
 *   value      an object instance holds resource / multiple-resource TLVs, a multiple
 *              resource holds resource-instance TLVs, the other two hold the value bytes.
 */
export type TlvKind = 'instance' | 'resourceInstance' | 'multipleResource' | 'resource';

export type TlvRecord =
  | { kind: 'instance' | 'multipleResource'; id: number; children: TlvRecord[] }
  | { kind: 'resourceInstance' | 'resource'; id: number; value: Uint8Array };

const KINDS: readonly TlvKind[] = ['instance', 'resourceInstance', 'multipleResource', 'resource'];
const KIND_BITS: Record<TlvKind, number> = { instance: 0b00, resourceInstance: 0b01, multipleResource: 0b10, resource: 0b11 };

/** Which kinds may appear inside which: the nesting is at most three deep by construction. */
const ALLOWED_CHILDREN: Record<'instance' | 'multipleResource', readonly TlvKind[]> = {
  instance: ['resource', 'multipleResource'],
  multipleResource: ['resourceInstance'],
};

/** LwM2M ids are 0..65534; 65535 is reserved (§7.1). */
const MAX_ID = 65534;
/** A 24-bit length field is the largest TLV can express (§7.4.3). */
export const MAX_TLV_LENGTH = 0xffffff;

interface ReadState {
  readonly bytes: Uint8Array;
  readonly limits: DecodeLimits;
  entries: number;
}

function fail(msg: string, at: number): never {
  throw badPayload(`TLV: ${msg} at byte ${at}`, '4.00');
}

/**
 * Parses a TLV payload into records. Every length is checked against the bytes actually left
 * before anything is sliced, so a claimed size never drives an allocation; values are views
 * into `bytes` (copy them if the buffer is reused).
 */
export function readTlv(bytes: Uint8Array, limits: DecodeLimits): TlvRecord[] {
  if (bytes.length > limits.maxPayloadBytes) {
    throw badPayload(`TLV: payload of ${bytes.length} bytes exceeds ${limits.maxPayloadBytes}`, '4.00');
  }
  const state: ReadState = { bytes, limits, entries: 0 };
  return readSequence(state, 0, bytes.length, 1, undefined);
}

function readSequence(state: ReadState, start: number, end: number, depth: number, parent: 'instance' | 'multipleResource' | undefined): TlvRecord[] {
  if (depth > state.limits.maxDepth) fail(`nesting deeper than ${state.limits.maxDepth}`, start);
  const out: TlvRecord[] = [];
  let i = start;
  const b = state.bytes;
  while (i < end) {
    const at = i;
    const type = b[i++]!;
    const kind = KINDS[type >> 6]!;
    if (parent !== undefined && !ALLOWED_CHILDREN[parent].includes(kind)) {
      fail(`${kind} TLV cannot appear inside ${withArticle(parent)} TLV`, at);
    }
    const idBytes = type & 0x20 ? 2 : 1;
    const lengthType = (type >> 3) & 0x03;
    if (i + idBytes + lengthType > end) fail('header runs past the end', at);
    const id = idBytes === 2 ? (b[i]! << 8) | b[i + 1]! : b[i]!;
    i += idBytes;
    if (id > MAX_ID) fail(`identifier ${id} is reserved`, at);
    let length = type & 0x07;
    if (lengthType > 0) {
      length = 0;
      for (let k = 0; k < lengthType; k++) length = length * 256 + b[i++]!;
    }
    if (length > end - i) fail(`${kind} ${id} claims ${length} bytes but ${end - i} remain`, at);
    if (++state.entries > state.limits.maxEntries) fail(`more than ${state.limits.maxEntries} TLVs`, at);
    if (kind === 'instance' || kind === 'multipleResource') {
      out.push({ kind, id, children: readSequence(state, i, i + length, depth + 1, kind) });
    } else {
      if (length > state.limits.maxValueBytes) fail(`value of ${length} bytes exceeds ${state.limits.maxValueBytes}`, at);
      out.push({ kind, id, value: b.subarray(i, i + length) });
    }
    i += length;
  }
  return out;
}

/** Size of a record once written, header included. */
function encodedSize(r: TlvRecord, sizes: Map<TlvRecord, number>): number {
  let body = 0;
  if ('children' in r) for (const c of r.children) body += encodedSize(c, sizes);
  else body = r.value.length;
  if (body > MAX_TLV_LENGTH) throw new Lwm2mError('LWM2M_ERR_ENTITY_TOO_LARGE', `TLV: ${r.kind} ${r.id} needs ${body} bytes, more than 24 bits of length`);
  sizes.set(r, body);
  return 1 + (r.id > 0xff ? 2 : 1) + lengthFieldSize(body) + body;
}

function lengthFieldSize(n: number): number {
  return n < 8 ? 0 : n <= 0xff ? 1 : n <= 0xffff ? 2 : 3;
}

/** Writes records in one allocation: ids take 8 bits when they fit, lengths the shortest field. */
export function writeTlv(records: readonly TlvRecord[]): Uint8Array {
  const sizes = new Map<TlvRecord, number>();
  let total = 0;
  for (const r of records) total += encodedSize(r, sizes);
  const out = new Uint8Array(total);
  let at = 0;
  const write = (r: TlvRecord): void => {
    if (!Number.isInteger(r.id) || r.id < 0 || r.id > MAX_ID) {
      throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `TLV: invalid ${r.kind} id ${r.id}`);
    }
    const body = sizes.get(r)!;
    const lf = lengthFieldSize(body);
    const wide = r.id > 0xff;
    out[at++] = (KIND_BITS[r.kind] << 6) | (wide ? 0x20 : 0) | (lf << 3) | (lf === 0 ? body : 0);
    if (wide) out[at++] = r.id >> 8;
    out[at++] = r.id & 0xff;
    for (let k = lf - 1; k >= 0; k--) out[at++] = (body >> (8 * k)) & 0xff;
    if ('children' in r) r.children.forEach(write);
    else {
      out.set(r.value, at);
      at += r.value.length;
    }
  };
  records.forEach(write);
  return out;
}
