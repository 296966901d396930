import type { Clock } from '../clock.js';
import { GenerationalMap } from '../generational-map.js';

/**
 * Which rules caused what a device reports. When a rule acts on a device, the device's next
 * reports under the acted-on object instance (within `windowMs` of the action reaching it) are
 * attributed to that rule's chain. A rule they trigger extends the chain; a chain longer than
 * the maximum depth is a loop, cut and reported.
 */
export class CausationTracker {
  readonly #clock: Clock;
  readonly #windowMs: number;
  /** "<ep>\0/<oid>/<iid>" → chain and when it was set; about `maxMarks`, the least recently used forgotten. */
  readonly #marks: GenerationalMap<string, { chain: string[]; at: number }>;

  constructor(clock: Clock, windowMs: number, maxMarks = 100_000) {
    this.#clock = clock;
    this.#windowMs = windowMs;
    this.#marks = new GenerationalMap(maxMarks);
  }

  /** A rule chain acted on `path` of `endpoint` (now). */
  mark(endpoint: string, path: string, chain: string[]): void {
    const key = keyOf(endpoint, path);
    this.#marks.set(key, { chain, at: this.#clock.now() });
  }

  /** The chain behind a report of `path` by `endpoint`: empty when no rule acted on it recently. */
  chainFor(endpoint: string, path: string): string[] {
    if (this.#marks.size === 0) return [];
    const key = keyOf(endpoint, path);
    const m = this.#marks.get(key) ?? this.#marks.get(keyOf(endpoint, objectOf(path)));
    if (!m) return [];
    if (this.#clock.now() - m.at > this.#windowMs) {
      this.#marks.delete(key);
      return [];
    }
    return m.chain;
  }
}

/** "/3311/0/5850" → "/3311/0": the object instance an action touched. */
function keyOf(endpoint: string, path: string): string {
  const parts = path.split('/');
  return `${endpoint}\0${parts.slice(0, 3).join('/')}`;
}

function objectOf(path: string): string {
  return path.split('/').slice(0, 2).join('/');
}
