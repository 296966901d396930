import type { Clock } from '../clock.js';
import { GenerationalMap } from '../generational-map.js';

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
 * `burst`; a request takes one token or is refused. About `maxKeys` buckets are kept: the least
 * recently used are dropped (GenerationalMap; a dropped bucket would be full again anyway after
 * burst / rate seconds of quiet), so a flood of spoofed source addresses cannot grow memory, nor
 * make each of its requests dearer.
 */
export class RateLimiter {
  readonly #limit: BucketLimit;
  readonly #clock: Clock;
  readonly #buckets: GenerationalMap<string, Bucket>;

  constructor(limit: BucketLimit, clock: Clock, maxKeys = 100_000) {
    this.#limit = limit;
    this.#clock = clock;
    this.#buckets = new GenerationalMap(maxKeys);
  }

  /** Takes a token for `key`; false when the key is over its limit. */
  take(key: string): boolean {
    const now = this.#clock.now();
    let b = this.#buckets.get(key);
    if (b) {
      b.tokens = Math.min(this.#limit.burst, b.tokens + ((now - b.at) / 1000) * this.#limit.ratePerSec);
      b.at = now;
    } else {
      b = { tokens: this.#limit.burst, at: now };
      this.#buckets.set(key, b);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.#buckets.size;
  }
}
