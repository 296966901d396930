/**
 * Random bytes for handshakes (randoms, session IDs, connection IDs, session keys) drawn from
 * a prefetched block of the system CSPRNG: one `randomFillSync` call per 4 KB instead of one
 * per value. A server handshake needs three or four such values and each synchronous call
 * into OpenSSL costs more than the copy (profiled: ~5% of a full PSK handshake). Node caches
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
