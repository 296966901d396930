import { Decoder } from 'cbor-x';
import { badPayload } from '../errors.js';
import type { DecodeLimits } from './types.js';

/**
 * CBOR (RFC 8949) reading for the LwM2M CBOR-based formats. A payload is first walked by a
 * well-formedness scanner that allocates nothing: it checks every claimed length against the
 * bytes actually left, bounds nesting depth and the number of items, and refuses tags,
 * simple values and indefinite lengths the format does not allow. Only then does cbor-x
 * decode it, because cbor-x pre-allocates arrays of up to ~112 M entries from a claimed
 * length, turns some tags into objects (Date, records) and crashes on others.
 */

export interface CborScanOptions {
  /** Tags the format allows (e.g. 1 epoch time, 4 decimal fraction); all others are 4.00. */
  allowedTags?: readonly number[];
  /** Indefinite-length arrays, maps and strings (RFC 8949 §3.2). */
  allowIndefinite?: boolean;
  /** null (simple 22): allowed in LwM2M CBOR. */
  allowNull?: boolean;
}

class Scanner {
  #bytes: Uint8Array;
  #pos = 0;
  #items = 0;
  #limits: DecodeLimits;
  #opts: CborScanOptions;

  constructor(bytes: Uint8Array, limits: DecodeLimits, opts: CborScanOptions) {
    this.#bytes = bytes;
    this.#limits = limits;
    this.#opts = opts;
  }

  get done(): boolean {
    return this.#pos === this.#bytes.length;
  }

  #fail(msg: string): never {
    throw badPayload(`CBOR: ${msg} at byte ${this.#pos}`);
  }

  #byte(): number {
    if (this.#pos >= this.#bytes.length) this.#fail('truncated');
    return this.#bytes[this.#pos++]!;
  }

  /** The argument of a head (RFC 8949 §3): a number, or -1 for an indefinite length. */
  #argument(info: number): number {
    if (info < 24) return info;
    if (info === 31) return -1;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) this.#fail(`reserved additional information ${info}`);
    if (this.#pos + size > this.#bytes.length) this.#fail('truncated');
    let n = 0;
    for (let i = 0; i < size; i++) n = n * 256 + this.#bytes[this.#pos++]!;
    // Above 2^53 the value is only used as a length here, and any such length is too large.
    return n;
  }

  #count(): void {
    if (++this.#items > this.#limits.maxEntries * 8) this.#fail('too many items');
  }

  #skipBytes(n: number): void {
    if (n > this.#limits.maxValueBytes) this.#fail(`string of ${n} bytes exceeds the limit`);
    if (n > this.#bytes.length - this.#pos) this.#fail(`string claims ${n} bytes but only ${this.#bytes.length - this.#pos} remain`);
    this.#pos += n;
  }

  /** Walks one data item. */
  item(depth: number): void {
    if (depth > this.#limits.maxDepth) this.#fail('nested too deeply');
    this.#count();
    const head = this.#byte();
    const major = head >> 5;
    const info = head & 0x1f;
    if (major === 7) return this.#simple(info);
    const arg = this.#argument(info);
    switch (major) {
      case 0:
      case 1:
        if (arg < 0) this.#fail('indefinite integer');
        return;
      case 2:
      case 3:
        if (arg >= 0) return this.#skipBytes(arg);
        return this.#indefiniteString(major);
      case 4:
      case 5: {
        const per = major === 5 ? 2 : 1;
        if (arg < 0) {
          if (!this.#opts.allowIndefinite) this.#fail('indefinite length not allowed');
          for (;;) {
            if (this.#pos >= this.#bytes.length) this.#fail('truncated');
            if (this.#bytes[this.#pos] === 0xff) {
              this.#pos++;
              return;
            }
            for (let i = 0; i < per; i++) this.item(depth + 1);
          }
        }
        // Each entry needs at least one byte: a claimed length beyond the remaining bytes is a lie.
        if (arg * per > this.#bytes.length - this.#pos) this.#fail(`container claims ${arg} entries, too few bytes remain`);
        if (arg > this.#limits.maxEntries) this.#fail(`container of ${arg} entries exceeds the limit`);
        for (let i = 0; i < arg * per; i++) this.item(depth + 1);
        return;
      }
      case 6:
        if (!(this.#opts.allowedTags ?? []).includes(arg)) this.#fail(`tag ${arg} not allowed`);
        return this.item(depth + 1);
    }
  }

  #indefiniteString(major: number): void {
    if (!this.#opts.allowIndefinite) this.#fail('indefinite length not allowed');
    let total = 0;
    for (;;) {
      const head = this.#byte();
      if (head === 0xff) return;
      if (head >> 5 !== major) this.#fail('chunk of the wrong type in an indefinite string');
      const len = this.#argument(head & 0x1f);
      if (len < 0) this.#fail('nested indefinite string');
      total += len;
      if (total > this.#limits.maxValueBytes) this.#fail('string exceeds the limit');
      this.#count();
      this.#skipBytes(len);
    }
  }

  #simple(info: number): void {
    if (info === 20 || info === 21) return; // false, true
    if (info === 22) {
      if (!this.#opts.allowNull) this.#fail('null not allowed');
      return;
    }
    if (info === 25 || info === 26 || info === 27) {
      const size = info === 25 ? 2 : info === 26 ? 4 : 8;
      if (this.#pos + size > this.#bytes.length) this.#fail('truncated');
      this.#pos += size;
      return;
    }
    if (info === 31) this.#fail('unexpected break');
    this.#fail(`simple value ${info} not allowed`);
  }
}

const decoder = new Decoder({ mapsAsObjects: false, useRecords: false, int64AsType: 'bigint' } as ConstructorParameters<typeof Decoder>[0]);

/** Scans, then decodes exactly one data item. Throws 4.00 on anything malformed. */
export function decodeCbor(payload: Uint8Array, limits: DecodeLimits, opts: CborScanOptions = {}): unknown {
  if (payload.length === 0) throw badPayload('CBOR: empty payload');
  if (payload.length > limits.maxPayloadBytes) throw badPayload(`CBOR: payload of ${payload.length} bytes exceeds the limit`);
  const scanner = new Scanner(payload, limits, opts);
  scanner.item(0);
  if (!scanner.done) throw badPayload('CBOR: bytes after the data item');
  try {
    return decoder.decode(payload);
  } catch (e) {
    throw badPayload(`CBOR: ${e instanceof Error ? e.message : String(e)}`, '4.00', e);
  }
}

/** Byte strings come back as Buffer; copy to a plain Uint8Array that owns its memory. */
export function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

export function ownBytes(v: Uint8Array): Uint8Array {
  return new Uint8Array(v);
}
