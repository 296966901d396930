/**
 * A bounds-checked cursor over a Buffer for the TLS presentation language (RFC 5246 §4):
 * every read past the end throws DecodeError, which callers map to a decode_error alert or a
 * silent drop (RFC 6347 §4.1.2.7).
 */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

export class ByteReader {
  readonly #buf: Buffer;
  #pos: number;

  constructor(buf: Buffer, pos = 0) {
    this.#buf = buf;
    this.#pos = pos;
  }

  get position(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  #need(n: number): void {
    if (this.#pos + n > this.#buf.length) throw new DecodeError(`truncated: need ${n} bytes at ${this.#pos}`);
  }

  u8(): number {
    this.#need(1);
    return this.#buf[this.#pos++]!;
  }

  u16(): number {
    this.#need(2);
    const v = this.#buf.readUInt16BE(this.#pos);
    this.#pos += 2;
    return v;
  }

  u24(): number {
    this.#need(3);
    const v = this.#buf.readUIntBE(this.#pos, 3);
    this.#pos += 3;
    return v;
  }

  u48(): number {
    this.#need(6);
    const v = this.#buf.readUIntBE(this.#pos, 6);
    this.#pos += 6;
    return v;
  }

  bytes(n: number): Buffer {
    this.#need(n);
    const v = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return v;
  }

  /** opaque x<0..2^8-1> */
  vec8(): Buffer {
    return this.bytes(this.u8());
  }

  /** opaque x<0..2^16-1> */
  vec16(): Buffer {
    return this.bytes(this.u16());
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  end(): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} trailing bytes`);
  }
}

export function u8(v: number): Buffer {
  return Buffer.from([v & 0xff]);
}

export function u16(v: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(v);
  return b;
}

export function u24(v: number): Buffer {
  const b = Buffer.allocUnsafe(3);
  b.writeUIntBE(v, 0, 3);
  return b;
}

export function vec8(data: Buffer): Buffer {
  return Buffer.concat([u8(data.length), data]);
}

export function vec16(data: Buffer): Buffer {
  return Buffer.concat([u16(data.length), data]);
}

/**
 * A copy with its own exact-size memory. Long-lived secrets and IDs must not be views into, or
 * small allocations from, Node's shared 8 KB buffer pool: one retained 16-byte key would keep
 * a whole pool slab alive per session.
 */
export function ownBytes(b: Buffer): Buffer {
  const out = Buffer.alloc(b.length);
  b.copy(out);
  return out;
}
