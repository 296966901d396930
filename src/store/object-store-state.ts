import { GenerationalMap } from '../generational-map.js';

/**
 * What the LevelDB object store remembers per device so a write needs no read. For each path:
 *  - the time of the stored latest value (an older value must not replace it);
 *  - its history ring (object-store-ring.ts): how many entries it holds, the sequence number
 *    the next entry gets (its slot is that number modulo the ring size), the newest time in it,
 *    and whether sequence order is time order ("sorted": no value arrived late since the last
 *    re-sort). A full ring takes a value in place only when sorted and the value is at least
 *    as new as its newest, as the slot it overwrites then holds the oldest entry by time.
 * Packed for memory: path keys in one array (interned by the store, so devices share them) and
 * the numbers in one Float64Array.
 */
export class DeviceState {
  #paths: string[] = [];
  /** FIELDS numbers per path: [latestTime, count, nextSeq, newestTime, sorted (1 or 0)]. */
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

  /** Adds a path (not yet known) and returns its slot: no latest value, an empty ring. */
  add(pk: string, latestTime = -Infinity): number {
    const i = this.#paths.length;
    this.#paths.push(pk);
    if (this.#data.length < FIELDS * (i + 1)) {
      const grown = new Float64Array(Math.max(4 * FIELDS, this.#data.length * 2));
      grown.set(this.#data);
      this.#data = grown;
    }
    const at = FIELDS * i;
    this.#data[at] = latestTime;
    this.#data[at + 1] = 0;
    this.#data[at + 2] = 0;
    this.#data[at + 3] = -Infinity;
    this.#data[at + 4] = 1;
    if (this.#index) this.#index.set(pk, i);
    else if (i >= 16) this.#index = new Map(this.#paths.map((p, j) => [p, j]));
    return i;
  }

  latestTime(i: number): number {
    return this.#data[FIELDS * i] as number;
  }

  setLatestTime(i: number, t: number): void {
    this.#data[FIELDS * i] = t;
  }

  /** History entries of the path. */
  count(i: number): number {
    return this.#data[FIELDS * i + 1] as number;
  }

  /** Sequence number of the path's next history entry. */
  nextSeq(i: number): number {
    return this.#data[FIELDS * i + 2] as number;
  }

  /** Time of the path's newest history entry (-Infinity when it has none). */
  newestTime(i: number): number {
    return this.#data[FIELDS * i + 3] as number;
  }

  /** Whether the path's ring holds its entries in time order along their sequence numbers. */
  sorted(i: number): boolean {
    return this.#data[FIELDS * i + 4] === 1;
  }

  setRing(i: number, count: number, nextSeq: number, newestTime: number, sorted: boolean): void {
    const at = FIELDS * i;
    this.#data[at + 1] = count;
    this.#data[at + 2] = nextSeq;
    this.#data[at + 3] = newestTime;
    this.#data[at + 4] = sorted ? 1 : 0;
  }
}

const FIELDS = 5;

/**
 * The device states of the LevelDB object store: a bounded cache whose misses are read from
 * disk, one read at a time per device. The store reads states only while holding the device's
 * lock, and uses a cached one only within one synchronous run, so no two states of one device
 * are ever in use together.
 */
export class DeviceStates {
  /** About `capacity` devices; one that reports regularly stays, an evicted one is read again on its next write. */
  readonly #cache: GenerationalMap<string, DeviceState>;
  readonly #loading = new Map<string, Promise<DeviceState>>();

  constructor(capacity: number) {
    this.#cache = new GenerationalMap(capacity);
  }

  /** The state of a device, if cached (a hit counts as a use). */
  get(epKey: string): DeviceState | undefined {
    return this.#cache.get(epKey);
  }

  /** The same without touching the cache's order. */
  peek(epKey: string): DeviceState | undefined {
    return this.#cache.peek(epKey);
  }

  /** The device's state, from the cache or else from `read`. */
  load(epKey: string, read: () => Promise<DeviceState>): Promise<DeviceState> {
    const known = this.#cache.get(epKey);
    if (known) return Promise.resolve(known);
    const inFlight = this.#loading.get(epKey);
    if (inFlight) return inFlight;
    const loading = read()
      .then((state) => {
        this.#cache.set(epKey, state);
        return state;
      })
      .finally(() => this.#loading.delete(epKey));
    this.#loading.set(epKey, loading);
    return loading;
  }

  /** Forgets a device (removal): its next write starts from what is on disk. */
  delete(epKey: string): void {
    this.#cache.delete(epKey);
  }
}
