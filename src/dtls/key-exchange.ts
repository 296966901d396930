/**
 * PSK and ECDHE_PSK key exchange messages: ServerKeyExchange with an optional identity hint
 * (RFC 4279 §2) or hint + ephemeral P-256 point (RFC 5489 §2, RFC 8422 §5.4), and the
 * ClientKeyExchange that carries the identity (and the client's point).
 */
import { createECDH, type ECDH } from 'node:crypto';
import { ByteReader, DecodeError, u16, vec8, vec16 } from './byte-reader.js';
import { EC_CURVE_TYPE_NAMED, NAMED_CURVE_SECP256R1 } from './constants.js';
import type { KeyExchange } from './cipher-suites.js';
import { pskPremaster } from './prf.js';

export interface ClientKeyExchange {
  identity: Buffer;
  /** ECDHE_PSK only: the client's uncompressed point. */
  point?: Buffer;
}

export function parseClientKeyExchange(kx: KeyExchange, body: Buffer): ClientKeyExchange {
  const r = new ByteReader(body);
  const identity = Buffer.from(r.vec16());
  if (kx === 'psk') {
    r.end();
    return { identity };
  }
  return { identity, point: parsePoint(r) };
}

/** RFC 8422 §5.7 ClientECDiffieHellmanPublic without a PSK identity (ECDHE_ECDSA). */
export function parseEcdhClientKeyExchange(body: Buffer): Buffer {
  return parsePoint(new ByteReader(body));
}

function parsePoint(r: ByteReader): Buffer {
  const point = Buffer.from(r.vec8());
  r.end();
  if (point.length !== 65 || point[0] !== 4) throw new DecodeError('expected an uncompressed P-256 point');
  return point;
}

export function encodeClientKeyExchange(identity: Buffer, point?: Buffer): Buffer {
  return point ? Buffer.concat([vec16(identity), vec8(point)]) : vec16(identity);
}

/** Server side ephemeral state of one handshake. */
export class ServerKeyExchangeState {
  readonly #ecdh: ECDH | undefined;
  readonly #kx: KeyExchange;
  readonly #hint: Buffer;

  constructor(kx: KeyExchange, hint: Buffer) {
    this.#kx = kx;
    this.#hint = hint;
    if (kx !== 'psk') {
      this.#ecdh = createECDH('prime256v1');
      this.#ecdh.generateKeys();
    }
  }

  /** Our ephemeral uncompressed P-256 point (ECDHE suites). */
  get publicPoint(): Buffer {
    if (!this.#ecdh) throw new Error('no ECDHE in a plain PSK exchange');
    return this.#ecdh.getPublicKey();
  }

  /** RFC 8422 §5.10: the ECDHE_ECDSA premaster secret is the x-coordinate Z alone. */
  ecdhSecret(point: Buffer): Buffer {
    if (!this.#ecdh) throw new Error('no ECDHE in a plain PSK exchange');
    try {
      return this.#ecdh.computeSecret(point);
    } catch (e) {
      throw new DecodeError(`bad ECDH point: ${(e as Error).message}`);
    }
  }

  /** RFC 4279 §2: with plain PSK and no hint, the ServerKeyExchange is omitted. */
  get needsServerKeyExchange(): boolean {
    return this.#kx === 'ecdhe_psk' || this.#hint.length > 0;
  }

  serverKeyExchangeBody(): Buffer {
    if (!this.#ecdh) return vec16(this.#hint);
    const params = Buffer.concat([Buffer.from([EC_CURVE_TYPE_NAMED]), u16(NAMED_CURVE_SECP256R1), vec8(this.#ecdh.getPublicKey())]);
    return Buffer.concat([vec16(this.#hint), params]);
  }

  /** Premaster from the client's message and the PSK. Throws DecodeError on a bad point. */
  premaster(cke: ClientKeyExchange, psk: Buffer): Buffer {
    if (!this.#ecdh) return pskPremaster(psk);
    if (!cke.point) throw new DecodeError('missing ECDH point');
    return pskPremaster(psk, this.ecdhSecret(cke.point));
  }
}

/** Client side parse of a PSK / ECDHE_PSK ServerKeyExchange (test client). */
export function parseServerKeyExchange(kx: KeyExchange, body: Buffer): { hint: Buffer; point?: Buffer } {
  const r = new ByteReader(body);
  const hint = Buffer.from(r.vec16());
  if (kx === 'psk') return { hint };
  if (r.u8() !== EC_CURVE_TYPE_NAMED || r.u16() !== NAMED_CURVE_SECP256R1) throw new DecodeError('unsupported curve');
  return { hint, point: Buffer.from(r.vec8()) };
}
