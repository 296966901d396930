import type { SenmlRecord } from './senml-records.js';
import type { DecodeLimits } from './types.js';

/*
 * A direct reader for the SenML CBOR packs devices send nearly always (Read responses,
 * notifications, Send; RFC 8428 §6, LwM2M 1.1 TS-Core §7.4.7): a definite-length array of
 * definite-length maps whose labels are the ones LwM2M uses for plain values (bn -2, bt -3,
 * n 0, t 6, v 2, bv -5, vs 3, vb 4, and the text label "vlo"), holding integers below 2^32,
 * floats, ASCII text and booleans. It makes the records straight from the bytes in one pass,
 * where the general path walks the payload with the well-formedness scanner, decodes it again
 * with cbor-x into Maps and converts those (about a third of what decoding a one-value
 * notification costs).
 *
 * It never throws and never decides against a payload: anything else (another label, a byte
 * string, an indefinite length, a tag, a 64-bit integer, non-ASCII text, a label given twice, a
 * non-finite time, a bound of DecodeLimits reached, bytes after the array) returns undefined and
 * the general path reads the payload, accepting it or wording the error. For every payload it
 * accepts, it returns what the general path returns (test/content/senml-cbor-plain.test.ts
 * compares both on the captures and on generated and mutated packs).
 */

/** Label bits, to see a label given twice (the general path keeps the last; left to it). */
const BN = 1;
const BT = 2;
const N = 4;
const T = 8;
const V = 16;
const BV = 32;
const VS = 64;
const VB = 128;
const VLO = 256;

/** Reads the pack, or returns undefined when it is not of the plain kind (see above). */
export function readPlainSenmlCbor(payload: Uint8Array, limits: DecodeLimits): SenmlRecord[] | undefined {
  if (payload.length === 0 || payload.length > limits.maxPayloadBytes || limits.maxDepth < 2) return undefined;
  const r = new PlainReader(Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), limits);
  const records = r.pack();
  return records !== undefined && r.pos === payload.length ? records : undefined;
}

class PlainReader {
  pos = 0;
  readonly #b: Buffer;
  readonly #limits: DecodeLimits;
  /** Data items read, bounded as the general path's scanner bounds them. */
  #items = 0;

  constructor(b: Buffer, limits: DecodeLimits) {
    this.#b = b;
    this.#limits = limits;
  }

  pack(): SenmlRecord[] | undefined {
    const count = this.#head(4);
    if (count < 0 || count > this.#limits.maxEntries) return undefined;
    const out: SenmlRecord[] = [];
    for (let i = 0; i < count; i++) {
      const rec = this.#record();
      if (rec === undefined) return undefined;
      out.push(rec);
    }
    return out;
  }

  #record(): SenmlRecord | undefined {
    const entries = this.#head(5);
    if (entries < 0 || entries > this.#limits.maxEntries) return undefined;
    const rec: SenmlRecord = {};
    let seen = 0;
    let bv: number | undefined;
    for (let i = 0; i < entries; i++) {
      const label = this.#label();
      if (label === 0 || (seen & label) !== 0) return undefined;
      seen |= label;
      switch (label) {
        case BN:
        case N:
        case VS:
        case VLO: {
          const s = this.#text();
          if (s === undefined) return undefined;
          if (label === BN) rec.bn = s;
          else if (label === N) rec.n = s;
          else if (label === VS) rec.vs = s;
          else rec.vlo = s;
          break;
        }
        case VB: {
          const b = this.#boolean();
          if (b === undefined) return undefined;
          rec.vb = b;
          break;
        }
        default: {
          const n = this.#number();
          // Only a value may be NaN or infinite (the general path refuses such a time or base value).
          if (n === undefined || (label !== V && !Number.isFinite(n))) return undefined;
          if (label === BT) rec.bt = n;
          else if (label === T) rec.t = n;
          else if (label === V) rec.v = n;
          else bv = n;
        }
      }
    }
    if (bv !== undefined && rec.v !== undefined) rec.v = Number(rec.v) + bv;
    return rec;
  }

  /** A label's bit, or 0 when the label is not one this reader takes. */
  #label(): number {
    const b = this.#b;
    if (this.pos >= b.length) return 0;
    const head = b[this.pos]!;
    if (head >= 0x20 && head <= 0x37) {
      // Negative integer -1 - (head - 0x20), one byte.
      this.pos++;
      if (!this.#count()) return 0;
      const label = -1 - (head - 0x20);
      return label === -2 ? BN : label === -3 ? BT : label === -5 ? BV : 0;
    }
    if (head <= 0x17) {
      this.pos++;
      if (!this.#count()) return 0;
      return head === 0 ? N : head === 6 ? T : head === 2 ? V : head === 3 ? VS : head === 4 ? VB : 0;
    }
    if (head === 0x63) {
      const s = this.#text();
      return s === 'vlo' ? VLO : 0;
    }
    return 0;
  }

  /** A definite container head of `major` (4 array, 5 map): its count, or -1. */
  #head(major: number): number {
    const b = this.#b;
    if (this.pos >= b.length) return -1;
    const head = b[this.pos++]!;
    if (head >> 5 !== major || !this.#count()) return -1;
    return this.#argument(head & 0x1f);
  }

  /** The argument of a head's additional information, up to 32 bits; -1 for anything else. */
  #argument(info: number): number {
    const b = this.#b;
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 0;
    if (size === 0 || this.pos + size > b.length) return -1;
    const at = this.pos;
    this.pos += size;
    return size === 1 ? b[at]! : size === 2 ? b.readUInt16BE(at) : b.readUInt32BE(at);
  }

  #text(): string | undefined {
    const b = this.#b;
    if (this.pos >= b.length) return undefined;
    const head = b[this.pos++]!;
    if (head >> 5 !== 3 || !this.#count()) return undefined;
    const len = this.#argument(head & 0x1f);
    if (len < 0 || len > this.#limits.maxValueBytes || this.pos + len > b.length) return undefined;
    const start = this.pos;
    for (let i = start; i < start + len; i++) if (b[i]! >= 0x80) return undefined;
    this.pos += len;
    return b.toString('latin1', start, start + len);
  }

  #boolean(): boolean | undefined {
    const b = this.#b;
    if (this.pos >= b.length) return undefined;
    const head = b[this.pos++]!;
    if ((head !== 0xf4 && head !== 0xf5) || !this.#count()) return undefined;
    return head === 0xf5;
  }

  #number(): number | undefined {
    const b = this.#b;
    if (this.pos >= b.length) return undefined;
    const head = b[this.pos++]!;
    if (!this.#count()) return undefined;
    const major = head >> 5;
    if (major === 0 || major === 1) {
      const arg = this.#argument(head & 0x1f);
      if (arg < 0) return undefined;
      return major === 0 ? arg : -1 - arg;
    }
    const at = this.pos;
    switch (head) {
      case 0xf9:
        if (at + 2 > b.length) return undefined;
        this.pos += 2;
        return halfToNumber(b.readUInt16BE(at));
      case 0xfa:
        if (at + 4 > b.length) return undefined;
        this.pos += 4;
        return b.readFloatBE(at);
      case 0xfb:
        if (at + 8 > b.length) return undefined;
        this.pos += 8;
        return b.readDoubleBE(at);
      default:
        return undefined;
    }
  }

  /** Counts a data item against the general path's bound (maxEntries * 8 items). */
  #count(): boolean {
    return ++this.#items <= this.#limits.maxEntries * 8;
  }
}

/** IEEE 754 half precision (RFC 8949 §3.3, Appendix D). */
export function halfToNumber(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  let v: number;
  if (exp === 0) v = mant * 2 ** -24;
  else if (exp !== 31) v = (mant + 1024) * 2 ** (exp - 25);
  else v = mant === 0 ? Infinity : NaN;
  return h & 0x8000 ? -v : v;
}
