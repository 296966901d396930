/**
 * TLS 1.2 key derivation with the SHA-256 PRF (RFC 5246 §5), the PSK premaster secrets of
 * RFC 4279 §2 and RFC 5489 §2, and the extended master secret of RFC 7627 §4.
 */
import { createHash, createHmac } from 'node:crypto';
import { u16 } from './byte-reader.js';

/** P_SHA256(secret, label + seed) truncated to `length` (RFC 5246 §5). */
export function prf(secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, 'ascii'), seed]);
  const out: Buffer[] = [];
  let total = 0;
  let a = labelSeed; // A(0)
  while (total < length) {
    a = createHmac('sha256', secret).update(a).digest();
    const block = createHmac('sha256', secret).update(a).update(labelSeed).digest();
    out.push(block);
    total += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/**
 * RFC 4279 §2: "uint16 N, N zero octets, uint16 N, the PSK" for plain PSK; RFC 5489 §2 puts the
 * ECDH shared secret in place of the zeros for ECDHE_PSK.
 */
export function pskPremaster(psk: Buffer, otherSecret?: Buffer): Buffer {
  const other = otherSecret ?? Buffer.alloc(psk.length);
  return Buffer.concat([u16(other.length), other, u16(psk.length), psk]);
}

/** RFC 5246 §8.1 master secret. */
export function masterSecret(premaster: Buffer, clientRandom: Buffer, serverRandom: Buffer): Buffer {
  return prf(premaster, 'master secret', Buffer.concat([clientRandom, serverRandom]), 48);
}

/** RFC 7627 §4: the master secret bound to the hash of the handshake up to ClientKeyExchange. */
export function extendedMasterSecret(premaster: Buffer, sessionHash: Buffer): Buffer {
  return prf(premaster, 'extended master secret', sessionHash, 48);
}

/** RFC 5246 §6.3 key block; note the seed order server_random + client_random. */
export function keyBlock(master: Buffer, clientRandom: Buffer, serverRandom: Buffer, length: number): Buffer {
  return prf(master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), length);
}

/** RFC 5246 §7.4.9 verify_data, 12 bytes. */
export function finishedVerifyData(master: Buffer, fromClient: boolean, handshakeHash: Buffer): Buffer {
  return prf(master, fromClient ? 'client finished' : 'server finished', handshakeHash, 12);
}

/** Running SHA-256 over the handshake messages (RFC 6347 §4.2.6 framing). */
export class Transcript {
  #hash = createHash('sha256');
  /** Raw messages, kept only when a signature must cover them (RFC 5246 §7.4.8 CertificateVerify). */
  readonly #raw: Buffer[] | undefined;

  constructor(keepRaw = false) {
    this.#raw = keepRaw ? [] : undefined;
  }

  add(message: Buffer): void {
    this.#hash.update(message);
    this.#raw?.push(message);
  }

  /** Every message so far, concatenated (only with keepRaw). */
  raw(): Buffer {
    if (!this.#raw) throw new Error('transcript does not keep raw messages');
    return Buffer.concat(this.#raw);
  }

  /** The digest so far, leaving the running hash usable. */
  digest(): Buffer {
    return this.#hash.copy().digest();
  }
}
