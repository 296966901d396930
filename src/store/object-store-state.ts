/**
 * What the LevelDB object store remembers per device so a write needs no read: for each path,
 * the time of the stored latest value (an older value must not replace it) and how many history
 * entries exist (to trim beyond `maxEntries`). Packed for memory: path keys in one array
 * (interned by the store, so devices share them) and both numbers in one Float64Array; measured
 * per 10-path device: ~1.6 KB of heap as a Map of objects, ~0.5 KB in this layout.
 */
export class DeviceState {
  #paths: string[] = [];
  /** [latestTime, count] per path. */
  #data = new Float64Array(0);
  #index: Map<string, number> | undefined;

  get size(): number {
    return this.#paths.length;
  }

  /** Slot of a path, -1 if unknown. Linear for the usual handful of paths, a map beyond. */
  slot(pk: string): number {
    if (this.#index) return this.#index.get(pk) ?? -1;
    return this.#paths.indexOf(pk);
  }

  /** Adds a path (not yet known) and returns its slot. */
  add(pk: string, latestTime = -Infinity, count = 0): number {
    const i = this.#paths.length;
    this.#paths.push(pk);
    if (this.#data.length < 2 * (i + 1)) {
      const grown = new Float64Array(Math.max(8, this.#data.length * 2));
      grown.set(this.#data);
      this.#data = grown;
    }
    this.#data[2 * i] = latestTime;
    this.#data[2 * i + 1] = count;
    if (this.#index) this.#index.set(pk, i);
    else if (i >= 16) this.#index = new Map(this.#paths.map((p, j) => [p, j]));
    return i;
  }

  latestTime(i: number): number {
    return this.#data[2 * i] as number;
  }

  setLatestTime(i: number, t: number): void {
    this.#data[2 * i] = t;
  }

  count(i: number): number {
    return this.#data[2 * i + 1] as number;
  }

  addCount(i: number, delta: number): number {
    return (this.#data[2 * i + 1] = Math.max(0, (this.#data[2 * i + 1] as number) + delta));
  }

  setCount(i: number, n: number): void {
    this.#data[2 * i + 1] = n;
  }
}

/**
 * A bounded cache of device states, by endpoint key. Two generations: lookups promote a
 * device into the young one; when the young generation is full, the old one is dropped whole.
 * That bounds memory (about `capacity` devices) at O(1) cost per lookup, and a device that
 * reports regularly stays cached. An evicted device is loaded again from disk on its next write.
 */
export class DeviceStateCache {
  readonly #half: number;
  #young = new Map<string, DeviceState>();
  #old = new Map<string, DeviceState>();

  constructor(capacity: number) {
    this.#half = Math.max(1, Math.ceil(capacity / 2));
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  get(endpoint: string): DeviceState | undefined {
    const young = this.#young.get(endpoint);
    if (young) return young;
    const old = this.#old.get(endpoint);
    if (old) {
      this.#old.delete(endpoint);
      this.set(endpoint, old);
    }
    return old;
  }

  set(endpoint: string, state: DeviceState): void {
    if (this.#young.size >= this.#half) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(endpoint, state);
  }

  delete(endpoint: string): void {
    this.#young.delete(endpoint);
    this.#old.delete(endpoint);
  }

  /** A device's state if cached, without promoting it. */
  peek(endpoint: string): DeviceState | undefined {
    return this.#young.get(endpoint) ?? this.#old.get(endpoint);
  }
}
