import type { Clock } from '../clock.js';
import { GenerationalMap } from '../generational-map.js';
import type { Rate } from './duration.js';

/**
 * Token buckets by key: `count` tokens refilled evenly over `perMs`. A rule's own rate, and the
 * engine-wide rate per target device, so a rule storm cannot flood a device or its queue.
 */
export class RateLimiter {
  readonly #clock: Clock;
  /** Bounded: the least recently used buckets are forgotten (a forgotten bucket starts full, i.e. lenient). */
  readonly #buckets: GenerationalMap<string, { tokens: number; at: number }>;

  constructor(clock: Clock, maxKeys = 100_000) {
    this.#clock = clock;
    this.#buckets = new GenerationalMap(maxKeys);
  }

  /** Takes one token if there is one. */
  take(key: string, rate: Rate): boolean {
    const now = this.#clock.now();
    let b = this.#buckets.get(key);
    if (!b) {
      b = { tokens: rate.count, at: now };
      this.#buckets.set(key, b);
    }
    b.tokens = Math.min(rate.count, b.tokens + ((now - b.at) * rate.count) / rate.perMs);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  forget(prefix: string): void {
    for (const k of this.#buckets.keys()) if (k.startsWith(prefix)) this.#buckets.delete(k);
  }
}
