/**
 * A small CBOR writer (RFC 8949) for the LwM2M encoders. It exists instead of cbor-x's
 * encoder because LwM2M peers expect floats in the shortest form that keeps the value exact
 * (half, single or double precision, RFC 8949 §4.2.2 preferred serialization; Wakaama
 * writes -30.0 as f9 cf80) while an integral float must stay a float, which cbor-x would
 * turn into an integer.
 */

/** A float's half-precision bits when the value fits exactly, else undefined. */
export function toHalfExact(x: number): number | undefined {
  if (Number.isNaN(x)) return 0x7e00;
  if (x === Infinity) return 0x7c00;
  if (x === -Infinity) return 0xfc00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === 0) return sign;
  const exp = Math.floor(Math.log2(a));
  if (exp < -24 || exp > 15) return undefined;
  if (exp < -14) {
    // Subnormal: a = m * 2^-24 with m < 1024.
    const m = a * 2 ** 24;
    return Number.isInteger(m) ? sign | m : undefined;
  }
  const mant = (a / 2 ** exp - 1) * 1024;
  if (!Number.isInteger(mant)) return undefined;
  // log2 rounding can be off by one near powers of two; re-check the reconstruction.
  if ((1 + mant / 1024) * 2 ** exp !== a || mant >= 1024 || mant < 0) return undefined;
  return sign | ((exp + 15) << 10) | mant;
}

export class CborWriter {
  #chunks: number[] = [];

  #head(major: number, n: number | bigint): void {
    const m = major << 5;
    if (typeof n === 'number' && n < 24) this.#chunks.push(m | n);
    else if (typeof n === 'number' && n < 0x100) this.#chunks.push(m | 24, n);
    else if (typeof n === 'number' && n < 0x10000) this.#chunks.push(m | 25, n >> 8, n & 0xff);
    else if (typeof n === 'number' && n < 0x100000000) this.#chunks.push(m | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
    else {
      let big = BigInt(n);
      const bytes: number[] = [];
      for (let i = 0; i < 8; i++) {
        bytes.unshift(Number(big & 0xffn));
        big >>= 8n;
      }
      this.#chunks.push(m | 27, ...bytes);
    }
  }

  /** An integer (major type 0 or 1); number must be a safe integer, bigint within ±2^64. */
  int(n: number | bigint): this {
    if (typeof n === 'number' && !Number.isSafeInteger(n)) {
      throw new RangeError(`not a safe integer: ${n}`);
    }
    const neg = typeof n === 'bigint' ? n < 0n : n < 0;
    if (neg) {
      const m = typeof n === 'bigint' ? -1n - n : -1 - n;
      this.#head(1, typeof m === 'bigint' && m <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(m) : m);
    } else {
      this.#head(0, typeof n === 'bigint' && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);
    }
    return this;
  }

  /** A float in the shortest exact precision. */
  float(x: number): this {
    const half = toHalfExact(x);
    if (half !== undefined) {
      this.#chunks.push(0xf9, half >> 8, half & 0xff);
      return this;
    }
    const view = new DataView(new ArrayBuffer(8));
    if (Math.fround(x) === x) {
      view.setFloat32(0, x);
      this.#chunks.push(0xfa, ...new Uint8Array(view.buffer, 0, 4));
    } else {
      view.setFloat64(0, x);
      this.#chunks.push(0xfb, ...new Uint8Array(view.buffer, 0, 8));
    }
    return this;
  }

  text(s: string): this {
    const bytes = Buffer.from(s, 'utf8');
    this.#head(3, bytes.length);
    for (const b of bytes) this.#chunks.push(b);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#head(2, b.length);
    for (const x of b) this.#chunks.push(x);
    return this;
  }

  bool(b: boolean): this {
    this.#chunks.push(b ? 0xf5 : 0xf4);
    return this;
  }

  null(): this {
    this.#chunks.push(0xf6);
    return this;
  }

  array(length: number): this {
    this.#head(4, length);
    return this;
  }

  map(size: number): this {
    this.#head(5, size);
    return this;
  }

  tag(n: number): this {
    this.#head(6, n);
    return this;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.#chunks);
  }
}
