import { SEP, keyPart, pathKey } from './store-keys.js';
import { checkValues, compilePattern, cursorKey, inSubtree, resolveRetention } from './object-store-values.js';
import type { HistoryQuery, ObjectStore, RetentionPolicy, StoredValue } from './types.js';

interface PathEntry {
  latest: StoredValue;
  /** Oldest first by time; equal times in arrival order. */
  history: StoredValue[];
}

/**
 * The object store in memory: for tests and servers without persistence. Same semantics as the
 * LevelDB store, including key order (endpoint, then path with padded ids).
 */
export class MemoryObjectStore implements ObjectStore {
  readonly #retention: Readonly<RetentionPolicy>;
  /** endpoint key -> path key -> entry */
  readonly #devices = new Map<string, Map<string, PathEntry>>();

  constructor(options: { retention?: Partial<RetentionPolicy> } = {}) {
    this.#retention = resolveRetention(options.retention);
  }

  get retention(): Readonly<RetentionPolicy> {
    return this.#retention;
  }

  async put(values: StoredValue[]): Promise<void> {
    checkValues(values);
    for (const v of values) {
      const epKey = keyPart(v.endpoint);
      let paths = this.#devices.get(epKey);
      if (!paths) this.#devices.set(epKey, (paths = new Map()));
      const pk = pathKey(v.path);
      const entry = paths.get(pk);
      if (!entry) {
        paths.set(pk, { latest: v, history: [v] });
        continue;
      }
      if (v.time >= entry.latest.time) entry.latest = v;
      entry.history.splice(upperBound(entry.history, v.time), 0, v);
      if (entry.history.length > this.#retention.maxEntries) entry.history.splice(0, entry.history.length - this.#retention.maxEntries);
    }
  }

  async latest(endpoint: string, pathPrefix?: string): Promise<StoredValue[]> {
    const paths = this.#devices.get(keyPart(endpoint));
    if (!paths) return [];
    const prefix = pathKey(pathPrefix ?? '/');
    return [...paths.entries()]
      .filter(([k]) => inSubtree(k, prefix))
      .sort(([a], [b]) => compare(a, b))
      .map(([, e]) => e.latest);
  }

  async history(endpoint: string, path: string, query: HistoryQuery = {}): Promise<StoredValue[]> {
    const entry = this.#devices.get(keyPart(endpoint))?.get(pathKey(path));
    if (!entry) return [];
    const since = query.since ?? -Infinity;
    const until = query.until ?? Infinity;
    const out: StoredValue[] = [];
    const limit = query.limit ?? Infinity;
    for (let i = entry.history.length - 1; i >= 0 && out.length < limit; i--) {
      const v = entry.history[i] as StoredValue;
      if (v.time >= since && v.time <= until) out.push(v);
    }
    return out;
  }

  async latestAcross(pathPattern: string, options: { endpointPrefix?: string; after?: string; limit?: number } = {}): Promise<StoredValue[]> {
    const pattern = compilePattern(pathPattern);
    const epPrefix = keyPart(options.endpointPrefix ?? '');
    const after = options.after === undefined ? undefined : cursorKey(options.after);
    const limit = options.limit ?? Infinity;
    const hits: [string, StoredValue][] = [];
    for (const [epKey, paths] of this.#devices) {
      if (!epKey.startsWith(epPrefix)) continue;
      for (const [pk, e] of paths) {
        const key = epKey + SEP + pk;
        if (after !== undefined && key <= after) continue;
        if (pattern.matches(pk)) hits.push([key, e.latest]);
      }
    }
    return hits
      .sort(([a], [b]) => compare(a, b))
      .slice(0, limit)
      .map(([, v]) => v);
  }

  async applyRetention(nowMs: number): Promise<number> {
    const cutoff = nowMs - this.#retention.maxAgeMs;
    let removed = 0;
    for (const paths of this.#devices.values()) {
      for (const e of paths.values()) {
        let drop = lowerBound(e.history, cutoff);
        drop = Math.max(drop, e.history.length - this.#retention.maxEntries);
        if (drop > 0) {
          e.history.splice(0, drop);
          removed += drop;
        }
      }
    }
    return removed;
  }

  async removeEndpoint(endpoint: string): Promise<void> {
    this.#devices.delete(keyPart(endpoint));
  }

  async close(): Promise<void> {}
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** First index whose time is > t (insert position keeping arrival order among equal times). */
function upperBound(list: StoredValue[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as StoredValue).time <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose time is >= t: everything before it is older than t. */
function lowerBound(list: StoredValue[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as StoredValue).time < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
