/**
 * Random bytes for DTLS handshakes (randoms, session IDs, connection IDs, session keys) and for
 * identifiers (registration ids, queued request ids) drawn from a prefetched block of the
 * system CSPRNG: one `randomFillSync` call per 4 KB instead of one per value. Each synchronous
 * call into OpenSSL costs more than the copy (profiled: ~5% of a full PSK handshake, 9% of the
 * server's CPU under a Register load with one `randomBytes(5)` per registration id). Node caches
 * entropy the same way for `crypto.randomUUID`. Each value is a fresh exact-size copy, and
 * bytes are handed out once only.
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafeSlow(POOL_SIZE);
let offset = POOL_SIZE;

export function pooledRandomBytes(n: number): Buffer {
  const out = Buffer.allocUnsafeSlow(n);
  if (n > POOL_SIZE / 4) return randomFillSync(out);
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  pool.copy(out, 0, offset, offset + n);
  // Used bytes are wiped so they do not linger in memory after being handed out.
  pool.fill(0, offset, offset + n);
  offset += n;
  return out;
}

/** `n` random bytes from the pool as lowercase hex (identifiers), without a Buffer per call. */
export function pooledRandomHex(n: number): string {
  if (n > POOL_SIZE / 4) return randomFillSync(Buffer.allocUnsafe(n)).toString('hex');
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + n);
  pool.fill(0, offset, offset + n);
  offset += n;
  return hex;
}
