/**
 * Session IDs for abbreviated handshakes (RFC 5246 §7.3, §7.4.1.2): the master secret and the
 * parameters of a finished full handshake, bounded in count (oldest evicted first) and in age.
 */
import type { Clock } from '../clock.js';
import type { PeerIdentity } from '../transport/types.js';
import { ownBytes } from './byte-reader.js';

export interface CachedSession {
  masterSecret: Buffer;
  suiteId: number;
  identity: PeerIdentity;
  extendedMasterSecret: boolean;
  createdAt: number;
}

export class SessionCache {
  readonly #clock: Clock;
  readonly #max: number;
  readonly #lifetimeMs: number;
  readonly #map = new Map<string, CachedSession>();

  constructor(clock: Clock, max = 10_000, lifetimeMs = 24 * 3600_000) {
    this.#clock = clock;
    this.#max = max;
    this.#lifetimeMs = lifetimeMs;
  }

  put(sessionId: Buffer, s: Omit<CachedSession, 'createdAt'>): void {
    if (this.#max <= 0) return;
    const key = sessionId.toString('hex');
    this.#map.delete(key);
    this.#map.set(key, { ...s, masterSecret: ownBytes(s.masterSecret), createdAt: this.#clock.now() });
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next().value;
      if (oldest === undefined) break;
      this.#map.delete(oldest);
    }
  }

  get(sessionId: Buffer): CachedSession | undefined {
    if (sessionId.length === 0) return undefined;
    const key = sessionId.toString('hex');
    const s = this.#map.get(key);
    if (!s) return undefined;
    if (this.#clock.now() - s.createdAt > this.#lifetimeMs) {
      this.#map.delete(key);
      return undefined;
    }
    return s;
  }

  /** Forgets every cached session the predicate selects (e.g. when a key is revoked). */
  dropWhere(predicate: (identity: PeerIdentity) => boolean): void {
    for (const [k, s] of this.#map) if (predicate(s.identity)) this.#map.delete(k);
  }

  get size(): number {
    return this.#map.size;
  }
}
