import type { Clock } from '../clock.js';

export interface BucketLimit {
  /** Sustained requests per second. */
  ratePerSec: number;
  /** Requests allowed in a burst above the sustained rate. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets by key (an endpoint name, an IP address). A bucket refills at `ratePerSec` up to
 * `burst`; a request takes one token or is refused. At most `maxKeys` buckets are kept: when
 * full, the least recently used one is dropped (it would be full again anyway after
 * burst / rate seconds of quiet), so a flood of spoofed source addresses cannot grow memory.
 */
export class RateLimiter {
  readonly #limit: BucketLimit;
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(limit: BucketLimit, clock: Clock, maxKeys = 100_000) {
    this.#limit = limit;
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  /** Takes a token for `key`; false when the key is over its limit. */
  take(key: string): boolean {
    const now = this.#clock.now();
    let b = this.#buckets.get(key);
    if (b) {
      this.#buckets.delete(key);
      b.tokens = Math.min(this.#limit.burst, b.tokens + ((now - b.at) / 1000) * this.#limit.ratePerSec);
      b.at = now;
    } else {
      if (this.#buckets.size >= this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value as string);
      b = { tokens: this.#limit.burst, at: now };
    }
    // Re-inserted: Map order is recency order, the oldest is first.
    this.#buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.#buckets.size;
  }
}
