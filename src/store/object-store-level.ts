import { createLogger, type Logger } from '../log.js';
import { BatchWriter, type BatchOp } from './batch-writer.js';
import { sublevel, type Database, type Sublevel } from './level-db.js';
import { parseStored, readOne, readRange } from './level-json.js';
import { DeviceState, DeviceStateCache } from './object-store-state.js';
import { checkValues, compilePattern, cursorKey, isStoredValue, resolveRetention } from './object-store-values.js';
import { trimHistory } from './object-store-trim.js';
import { HIGH, SEP, keyPart, padNumber, pathKey, subtreeRange, timeKey } from './store-keys.js';
import type { HistoryQuery, ObjectStore, RetentionPolicy, StoredValue } from './types.js';

export interface LevelObjectStoreOptions {
  retention?: Partial<RetentionPolicy>;
  /** Devices whose path states stay cached (see DeviceStateCache). Default 20,000. */
  cachedDevices?: number;
  logger?: Logger;
}

/*
 * Key layout (parts joined by U+0000, numeric path segments padded to 5 digits, store-keys.ts):
 *   obj-latest:  <endpoint> <path>                         -> StoredValue
 *   obj-hist:    <endpoint> <path> <time 15> <tiebreak 19> -> StoredValue
 *   obj-meta:    boot                                      -> restarts so far (tiebreak prefix)
 * latest(ep, prefix) and history(ep, path, since..until) are single range scans; history reads
 * newest first with `reverse`. The tiebreak (boot number + per-boot counter) keeps values with
 * equal times apart, in arrival order, across restarts.
 */
export class LevelObjectStore implements ObjectStore {
  readonly #latest: Sublevel;
  readonly #hist: Sublevel;
  readonly #meta: Sublevel;
  readonly #writer: BatchWriter;
  readonly #logger: Logger;
  readonly #retention: Readonly<RetentionPolicy>;
  /** History may exceed maxEntries by this much before a trim runs: trims stay rare. */
  readonly #slack: number;
  readonly #states: DeviceStateCache;
  readonly #loading = new Map<string, Promise<DeviceState>>();
  readonly #trims = new Set<Promise<void>>();
  /** "<ep>\0<path>" of paths being trimmed now. */
  readonly #trimming = new Set<string>();
  /** One string per distinct path key, shared by every device's state. */
  readonly #pathKeys = new Map<string, string>();
  #tiePrefix = '';
  #counter = 0;

  private constructor(db: Database, writer: BatchWriter, options: LevelObjectStoreOptions) {
    this.#latest = sublevel(db, 'obj-latest');
    this.#hist = sublevel(db, 'obj-hist');
    this.#meta = sublevel(db, 'obj-meta');
    this.#writer = writer;
    this.#logger = options.logger ?? createLogger();
    this.#retention = resolveRetention(options.retention);
    this.#slack = Math.max(1, Math.ceil(this.#retention.maxEntries / 10));
    this.#states = new DeviceStateCache(options.cachedDevices ?? 20_000);
  }

  static async open(db: Database, writer = new BatchWriter(db), options: LevelObjectStoreOptions = {}): Promise<LevelObjectStore> {
    const store = new LevelObjectStore(db, writer, options);
    const boot = ((await readOne(store.#meta, 'boot', (v): v is number => typeof v === 'number', store.#logger, 'obj-meta')) ?? 0) + 1;
    await writer.write([{ type: 'put', sublevel: store.#meta, key: 'boot', value: boot }]);
    store.#tiePrefix = padNumber(boot, 6);
    return store;
  }

  get retention(): Readonly<RetentionPolicy> {
    return this.#retention;
  }

  async put(values: StoredValue[]): Promise<void> {
    checkValues(values);
    // Only devices not cached need a read first; the common case goes straight to the writer.
    const states = new Map<string, DeviceState>();
    let missing: string[] | undefined;
    for (const v of values) {
      const epKey = keyPart(v.endpoint);
      if (states.has(epKey)) continue;
      const cached = this.#states.get(epKey);
      if (cached) states.set(epKey, cached);
      else if (!missing?.includes(epKey)) (missing ??= []).push(epKey);
    }
    if (missing) {
      const loaded = await Promise.all(missing.map((epKey) => this.#load(epKey)));
      missing.forEach((epKey, i) => states.set(epKey, loaded[i] as DeviceState));
    }
    const ops: BatchOp[] = [];
    const toTrim: [DeviceState, string, string][] = [];
    for (const v of values) {
      const epKey = keyPart(v.endpoint);
      const device = states.get(epKey) as DeviceState;
      const pk = pathKey(v.path);
      let slot = device.slot(pk);
      if (slot < 0) slot = device.add(this.#intern(pk));
      const base = epKey + SEP + pk;
      // Encoded once for both puts: the same text the sublevels' json encoding would write.
      const json = JSON.stringify(v);
      if (v.time >= device.latestTime(slot)) {
        device.setLatestTime(slot, v.time);
        ops.push({ type: 'put', sublevel: this.#latest, key: base, value: json, valueEncoding: 'utf8' });
      }
      ops.push({ type: 'put', sublevel: this.#hist, key: base + SEP + timeKey(v.time) + SEP + this.#tiebreak(), value: json, valueEncoding: 'utf8' });
      if (device.addCount(slot, 1) > this.#retention.maxEntries + this.#slack && !this.#trimming.has(base)) {
        this.#trimming.add(base);
        toTrim.push([device, epKey, pk]);
      }
    }
    const written = this.#writer.write(ops);
    for (const [device, epKey, pk] of toTrim) this.#startTrim(written, device, epKey, pk);
    await written;
  }

  async latest(endpoint: string, pathPrefix?: string): Promise<StoredValue[]> {
    const range = subtreeRange(keyPart(endpoint) + SEP, pathKey(pathPrefix ?? '/'));
    return (await readRange(this.#latest, range, isStoredValue, this.#logger, 'obj-latest')).map((e) => e.value);
  }

  async history(endpoint: string, path: string, query: HistoryQuery = {}): Promise<StoredValue[]> {
    const base = keyPart(endpoint) + SEP + pathKey(path) + SEP;
    const since = query.since ?? 0;
    const until = query.until ?? Number.MAX_SAFE_INTEGER;
    // Beyond maxEntries are only entries waiting for their trim: never report them.
    const limit = Math.min(query.limit ?? Infinity, this.#retention.maxEntries);
    if (limit <= 0 || since > until) return [];
    const out: StoredValue[] = [];
    const it = this.#hist.iterator({ gte: base + timeKey(since), lt: base + timeKey(until) + SEP + HIGH, reverse: true, valueEncoding: 'utf8' });
    try {
      let seen = 0;
      for (let e = await it.next(); e !== undefined && out.length < limit && seen < this.#retention.maxEntries; e = await it.next()) {
        seen++;
        const v = parseStored(e[1], isStoredValue, this.#logger, 'obj-hist');
        // Keys hold whole milliseconds; fractional device times are checked exactly here.
        if (v && v.time >= since && v.time <= until) out.push(v);
      }
    } finally {
      await it.close();
    }
    return out;
  }

  async latestAcross(pathPattern: string, options: { endpointPrefix?: string; after?: string; limit?: number } = {}): Promise<StoredValue[]> {
    const pattern = compilePattern(pathPattern);
    const prefix = keyPart(options.endpointPrefix ?? '');
    const limit = options.limit ?? Infinity;
    const after = options.after === undefined ? undefined : cursorKey(options.after);
    const range = after !== undefined && after >= prefix ? { gt: after, lt: prefix + HIGH } : { gte: prefix, lt: prefix + HIGH };
    if (limit <= 0) return [];
    // Keys only, then one getMany for the hits. Seeking to each device's matching subtree
    // was measured slower: every seek costs a round trip to the LevelDB thread, and a device
    // has few latest keys, while a keys-only scan reads ahead up to 1000 keys per trip.
    const hits: string[] = [];
    for await (const key of this.#latest.keys(range)) {
      if (pattern.matches(key.slice(key.indexOf(SEP) + 1))) hits.push(key);
      if (hits.length >= limit) break;
    }
    if (hits.length === 0) return [];
    const raws = await this.#latest.getMany(hits, { valueEncoding: 'utf8' });
    const out: StoredValue[] = [];
    for (const raw of raws) {
      const v = raw === undefined ? undefined : parseStored(raw, isStoredValue, this.#logger, 'obj-latest');
      if (v) out.push(v);
    }
    return out;
  }

  async applyRetention(nowMs: number): Promise<number> {
    await this.#writer.flush();
    return trimHistory({
      hist: this.#hist,
      writer: this.#writer,
      maxEntries: this.#retention.maxEntries,
      cutoff: nowMs - this.#retention.maxAgeMs,
      onGroup: (epKey, pk, kept) => {
        const device = this.#states.peek(epKey);
        const slot = device ? device.slot(pk) : -1;
        if (slot >= 0) device?.setCount(slot, kept);
      },
    });
  }

  async removeEndpoint(endpoint: string): Promise<void> {
    const epKey = keyPart(endpoint);
    this.#states.delete(epKey);
    await this.#writer.flush();
    const range = { gte: epKey + SEP, lt: epKey + SEP + HIGH };
    await Promise.all([this.#latest.clear(range), this.#hist.clear(range)]);
    this.#states.delete(epKey);
  }

  async close(): Promise<void> {
    while (this.#trims.size > 0) await Promise.all([...this.#trims]);
    await this.#writer.flush();
  }

  #tiebreak(): string {
    return this.#tiePrefix + padNumber(this.#counter++, 13);
  }

  /** Reads a device's latest times and history counts: one scan of each sublevel. */
  #load(epKey: string): Promise<DeviceState> {
    const inFlight = this.#loading.get(epKey);
    if (inFlight) return inFlight;
    const loading = (async () => {
      const device = new DeviceState();
      const range = { gte: epKey + SEP, lt: epKey + SEP + HIGH };
      for (const { key, value } of await readRange(this.#latest, range, isStoredValue, this.#logger, 'obj-latest')) {
        device.add(this.#intern(key.slice(epKey.length + 1)), value.time);
      }
      for (const key of await this.#hist.keys(range).all()) {
        const pk = key.slice(epKey.length + 1, key.lastIndexOf(SEP, key.lastIndexOf(SEP) - 1));
        let slot = device.slot(pk);
        if (slot < 0) slot = device.add(this.#intern(pk));
        device.addCount(slot, 1);
      }
      this.#states.set(epKey, device);
      return device;
    })().finally(() => this.#loading.delete(epKey));
    this.#loading.set(epKey, loading);
    return loading;
  }

  /** After `written` commits, deletes a path's oldest entries beyond maxEntries. */
  #startTrim(written: Promise<void>, device: DeviceState, epKey: string, pk: string): void {
    const base = epKey + SEP + pk;
    const bound = this.#retention.maxEntries + this.#slack;
    const trim = (async () => {
      await written;
      const ops: BatchOp[] = [];
      let seen = 0;
      // Newest first: the first maxEntries keys stay, every older one goes. `all()` fetches the
      // keys in a few native calls instead of one promise per key (this runs every `slack` writes).
      for (const key of await this.#hist.keys({ gte: base + SEP, lt: base + SEP + HIGH, reverse: true }).all()) {
        if (++seen > this.#retention.maxEntries) ops.push({ type: 'del', sublevel: this.#hist, key });
      }
      if (ops.length > 0) await this.#writer.write(ops);
      const slot = device.slot(pk);
      if (slot >= 0) device.addCount(slot, -ops.length);
    })()
      .catch((e: unknown) => this.#logger.warn({ err: (e as Error).message }, 'object store history trim failed'))
      .finally(() => {
        this.#trimming.delete(base);
        this.#trims.delete(trim);
        // Writes that came in while trimming may have pushed the path over the bound again.
        const slot = device.slot(pk);
        if (slot >= 0 && device.count(slot) > bound && this.#states.peek(epKey) === device) {
          this.#trimming.add(base);
          this.#startTrim(Promise.resolve(), device, epKey, pk);
        }
      });
    this.#trims.add(trim);
  }

  #intern(pk: string): string {
    const known = this.#pathKeys.get(pk);
    if (known !== undefined) return known;
    if (this.#pathKeys.size < 10_000) this.#pathKeys.set(pk, pk);
    return pk;
  }
}
