import { createLogger, type Logger } from '../log.js';
import { BatchWriter, type BatchOp } from './batch-writer.js';
import { sublevel, type Database, type Sublevel } from './level-db.js';
import { parseStored, readOne, readRange } from './level-json.js';
import { KeyedLock } from './object-store-lock.js';
import { migrateHistory } from './object-store-migrate.js';
import { encodeEntry, mergeRing, pathKeyOf, readEntries, ringKey, ringRange, type RingEntry } from './object-store-ring.js';
import { DeviceState, DeviceStates } from './object-store-state.js';
import { endpointsWithExpired, expireEndpoint } from './object-store-trim.js';
import { latestAcross } from './object-store-query.js';
import { checkValues, isStoredRecord, resolveRetention, storedRecordJson, toStoredValue } from './object-store-values.js';
import { HIGH, SEP, keyPart, pathKey, subtreeRange } from './store-keys.js';
import type { HistoryQuery, ObjectStore, RetentionPolicy, StoredValue } from './types.js';

export interface LevelObjectStoreOptions {
  retention?: Partial<RetentionPolicy>;
  /** Devices whose path states stay cached (least recently used forgotten). Default 20,000. */
  cachedDevices?: number;
  logger?: Logger;
}

/*
 * Key layout (parts joined by U+0000, numeric path segments padded to 5 digits, store-keys.ts):
 *   obj-latest:  <endpoint> <path>         -> StoredValue without endpoint and path (the key holds them)
 *   obj-ring:    <endpoint> <path> <slot>  -> {"s": seq, "t": time, "v": the same}
 *   obj-meta:    ring                      -> the ring size (maxEntries) the rings were written with
 * History is a ring of maxEntries slots per path (object-store-ring.ts): a write overwrites the
 * oldest entry, so the count bound costs no scan and no delete. latest(ep, prefix) is one range
 * scan; history(ep, path) reads the path's ring (at most maxEntries entries) and sorts it.
 * History written by earlier versions (obj-hist, time-ordered keys) is moved at open.
 */
export class LevelObjectStore implements ObjectStore {
  readonly #latest: Sublevel;
  readonly #ring: Sublevel;
  readonly #meta: Sublevel;
  readonly #writer: BatchWriter;
  readonly #logger: Logger;
  readonly #retention: Readonly<RetentionPolicy>;
  /** Slots per ring: maxEntries. */
  readonly #size: number;
  readonly #states: DeviceStates;
  /** Devices with work in progress that reads from disk (a state read, re-sort, retention, removal): their writes wait. */
  readonly #lock = new KeyedLock();
  /** One string per distinct path key, shared by every device's state. */
  readonly #pathKeys = new Map<string, string>();

  private constructor(db: Database, writer: BatchWriter, options: LevelObjectStoreOptions) {
    this.#latest = sublevel(db, 'obj-latest');
    this.#ring = sublevel(db, 'obj-ring');
    this.#meta = sublevel(db, 'obj-meta');
    this.#writer = writer;
    this.#logger = options.logger ?? createLogger();
    this.#retention = resolveRetention(options.retention);
    this.#size = this.#retention.maxEntries;
    this.#states = new DeviceStates(options.cachedDevices ?? 20_000);
  }

  static async open(db: Database, writer = new BatchWriter(db), options: LevelObjectStoreOptions = {}): Promise<LevelObjectStore> {
    const store = new LevelObjectStore(db, writer, options);
    const storedSize = await readOne(store.#meta, 'ring', (v): v is number => Number.isSafeInteger(v), store.#logger, 'obj-meta');
    await migrateHistory({ legacy: sublevel(db, 'obj-hist'), ring: store.#ring, writer, size: store.#size, storedSize, logger: store.#logger });
    if (storedSize !== store.#size) await writer.write([{ type: 'put', sublevel: store.#meta, key: 'ring', value: store.#size }]);
    return store;
  }

  get retention(): Readonly<RetentionPolicy> {
    return this.#retention;
  }

  put(values: StoredValue[]): Promise<void> {
    try {
      checkValues(values);
      const epKeys = values.map((v) => keyPart(v.endpoint));
      // The common case, in one synchronous run (and no async frame of its own): every device
      // cached, none locked, values in order.
      if (this.#lock.size === 0 || this.#lock.held(epKeys) === undefined) {
        const devices = this.#cached(epKeys);
        if (devices && this.#inPlace(values, devices)) return this.#append(values, devices);
      }
      return this.#putLocked(values, epKeys);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async latest(endpoint: string, pathPrefix?: string): Promise<StoredValue[]> {
    const epKey = keyPart(endpoint);
    const range = subtreeRange(epKey + SEP, pathKey(pathPrefix ?? '/'));
    return (await readRange(this.#latest, range, isStoredRecord, this.#logger, 'obj-latest')).map((e) => toStoredValue(e.value, endpoint, e.key.slice(epKey.length + 1)));
  }

  async history(endpoint: string, path: string, query: HistoryQuery = {}): Promise<StoredValue[]> {
    const since = query.since ?? 0;
    const until = query.until ?? Number.MAX_SAFE_INTEGER;
    const limit = query.limit ?? Infinity;
    if (limit <= 0 || since > until) return [];
    const pk = pathKey(path);
    const entries = await readEntries(this.#ring, ringRange(keyPart(endpoint) + SEP + pk), this.#logger);
    // Newest first; equal times in arrival order (sequence number).
    const hits = entries.map((e) => e.entry).filter((e) => e.time >= since && e.time <= until);
    hits.sort((a, b) => b.time - a.time || b.seq - a.seq);
    const out: StoredValue[] = [];
    for (const e of hits) {
      if (out.length >= limit) break;
      const v = parseStored(e.json, isStoredRecord, this.#logger, 'obj-ring');
      if (v) out.push(toStoredValue(v, endpoint, pk));
    }
    return out;
  }

  latestAcross(pathPattern: string, options: { endpointPrefix?: string; after?: string; limit?: number } = {}): Promise<StoredValue[]> {
    return latestAcross(this.#latest, pathPattern, options, this.#logger);
  }

  async applyRetention(nowMs: number): Promise<number> {
    await this.#writer.flush();
    const cutoff = nowMs - this.#retention.maxAgeMs;
    let removed = 0;
    for (const epKey of await endpointsWithExpired(this.#ring, cutoff)) {
      removed += await this.#lock.run([epKey], async () => {
        await this.#writer.flush();
        return expireEndpoint({ ring: this.#ring, writer: this.#writer, logger: this.#logger, epKey, cutoff, size: this.#size, device: this.#states.peek(epKey) });
      });
    }
    return removed;
  }

  async removeEndpoint(endpoint: string): Promise<void> {
    const epKey = keyPart(endpoint);
    // Under the device's lock: no put of it is half done (states are only read under it too).
    await this.#lock.run([epKey], async () => {
      this.#states.delete(epKey);
      await this.#writer.flush();
      const range = { gte: epKey + SEP, lt: epKey + SEP + HIGH };
      await Promise.all([this.#latest.clear(range), this.#ring.clear(range)]);
    });
  }

  async close(): Promise<void> {
    await this.#lock.idle();
    await this.#writer.flush();
  }

  /** Each value's device state when all are cached. */
  #cached(epKeys: string[]): DeviceState[] | undefined {
    const devices: DeviceState[] = [];
    for (const epKey of epKeys) {
      const state = this.#states.get(epKey);
      if (state === undefined) return undefined;
      devices.push(state);
    }
    return devices;
  }

  /**
   * A put that has to wait: its devices are locked while it reads their states from disk or
   * re-sorts rings, so later puts of the same devices wait behind it and puts land in the order
   * they were made. The lock goes as soon as the writes are queued (whoever reads from disk
   * next flushes them first).
   */
  async #putLocked(values: StoredValue[], epKeys: string[]): Promise<void> {
    const { written } = await this.#lock.run([...new Set(epKeys)], async () => {
      const states = await this.#statesOf(epKeys);
      const devices = epKeys.map((k) => states.get(k)!);
      if (this.#inPlace(values, devices)) return { written: this.#append(values, devices) };
      return this.#rewrite(values, states);
    });
    return written;
  }

  /**
   * Each device's state, each looked up or read once: a state read again after another device
   * pushed it out of the cache would miss what this section changed and has not written yet.
   */
  async #statesOf(epKeys: Iterable<string>): Promise<Map<string, DeviceState>> {
    const states = new Map<string, DeviceState>();
    for (const epKey of epKeys) if (!states.has(epKey)) states.set(epKey, this.#states.get(epKey) ?? (await this.#load(epKey)));
    return states;
  }

  /**
   * Whether every value can go to its ring's next slot: the ring is not full (nothing is
   * overwritten), or it is sorted and the value at least as new as its newest (the slot holds
   * the oldest entry by time). Values of this batch count as appended before the next.
   */
  #inPlace(values: StoredValue[], devices: DeviceState[]): boolean {
    if (values.length === 1) {
      const v = values[0]!;
      const device = devices[0]!;
      const slot = device.slot(pathKey(v.path));
      return slot < 0 || device.count(slot) < this.#size || (device.sorted(slot) && v.time >= device.newestTime(slot));
    }
    const rings = new Map<string, { count: number; newest: number; sorted: boolean }>();
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const pk = pathKey(v.path);
      const key = keyPart(v.endpoint) + SEP + pk;
      let r = rings.get(key);
      if (r === undefined) {
        const device = devices[i]!;
        const slot = device.slot(pk);
        r = slot < 0 ? { count: 0, newest: -Infinity, sorted: true } : { count: device.count(slot), newest: device.newestTime(slot), sorted: device.sorted(slot) };
        rings.set(key, r);
      }
      if (r.count >= this.#size && !(r.sorted && v.time >= r.newest)) return false;
      r.sorted &&= r.count === 0 || v.time >= r.newest;
      r.newest = Math.max(r.newest, v.time);
      r.count = Math.min(r.count + 1, this.#size);
    }
    return true;
  }

  /** The common case: each value goes to its ring's next slot, all in one batch. */
  #append(values: StoredValue[], devices: DeviceState[]): Promise<void> {
    const ops: BatchOp[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const device = devices[i]!;
      const pk = pathKey(v.path);
      let slot = device.slot(pk);
      if (slot < 0) slot = device.add(this.#intern(pk));
      const base = keyPart(v.endpoint) + SEP + pk;
      // Encoded once for both puts.
      const json = storedRecordJson(v, pk);
      if (v.time >= device.latestTime(slot)) {
        device.setLatestTime(slot, v.time);
        ops.push({ type: 'put', sublevel: this.#latest, key: base, value: json, valueEncoding: 'utf8' });
      }
      const seq = device.nextSeq(slot);
      const count = device.count(slot);
      const newest = device.newestTime(slot);
      ops.push({ type: 'put', sublevel: this.#ring, key: ringKey(base, seq, this.#size), value: encodeEntry(seq, v.time, json), valueEncoding: 'utf8' });
      device.setRing(slot, Math.min(count + 1, this.#size), seq + 1, Math.max(newest, v.time), device.sorted(slot) && (count === 0 || v.time >= newest));
    }
    return this.#writer.write(ops);
  }

  /** Adds values to rings that must be re-sorted (devices locked): read, merge, write the changed slots. */
  async #rewrite(values: StoredValue[], states: Map<string, DeviceState>): Promise<{ written: Promise<void> }> {
    await this.#writer.flush();
    const groups = new Map<string, { epKey: string; pk: string; values: StoredValue[] }>();
    for (const v of values) {
      const epKey = keyPart(v.endpoint);
      const pk = pathKey(v.path);
      const key = epKey + SEP + pk;
      groups.get(key)?.values.push(v) ?? groups.set(key, { epKey, pk, values: [v] });
    }
    const ops: BatchOp[] = [];
    for (const [base, g] of groups) await this.#merge(states.get(g.epKey)!, base, g.pk, g.values, ops);
    return { written: this.#writer.write(ops) };
  }

  /** One path of #rewrite: its latest value and its ring, merged with `values`, into `ops`. */
  async #merge(device: DeviceState, base: string, pk: string, values: StoredValue[], ops: BatchOp[]): Promise<void> {
    let slot = device.slot(pk);
    if (slot < 0) slot = device.add(this.#intern(pk));
    const added = values.map((v) => ({ time: v.time, json: storedRecordJson(v, pk) }));
    values.forEach((v, i) => {
      if (v.time < device.latestTime(slot)) return;
      device.setLatestTime(slot, v.time);
      ops.push({ type: 'put', sublevel: this.#latest, key: base, value: added[i]!.json, valueEncoding: 'utf8' });
    });
    const stored = (await readEntries(this.#ring, ringRange(base), this.#logger)).map((e) => e.entry);
    const count = device.count(slot);
    const next = device.nextSeq(slot);
    const merged = mergeRing(stored, added, next, this.#size);
    const first = merged.nextSeq - merged.entries.length;
    // Slots of unreadable entries the new numbering does not reach.
    if (merged.entries.length < this.#size) {
      for (let seq = Math.max(0, next - count); seq < first; seq++) ops.push({ type: 'del', sublevel: this.#ring, key: ringKey(base, seq, this.#size) });
    }
    for (const e of merged.entries) {
      if (e.was !== e.seq) ops.push({ type: 'put', sublevel: this.#ring, key: ringKey(base, e.seq, this.#size), value: encodeEntry(e.seq, e.time, e.json), valueEncoding: 'utf8' });
    }
    device.setRing(slot, merged.entries.length, merged.nextSeq, merged.entries.at(-1)?.time ?? -Infinity, true);
  }

  /**
   * Reads a device's latest times and history rings: one scan of each sublevel, after queued
   * writes are committed (a device dropped from the cache may have writes in flight).
   */
  #load(epKey: string): Promise<DeviceState> {
    return this.#states.load(epKey, async () => {
      await this.#writer.flush();
      const device = new DeviceState();
      const range = { gte: epKey + SEP, lt: epKey + SEP + HIGH };
      for (const { key, value } of await readRange(this.#latest, range, isStoredRecord, this.#logger, 'obj-latest')) {
        device.add(this.#intern(key.slice(epKey.length + 1)), value.time);
      }
      const rings = new Map<string, RingEntry[]>();
      for (const { key, entry } of await readEntries(this.#ring, range, this.#logger)) {
        const pk = pathKeyOf(key, epKey);
        rings.get(pk)?.push(entry) ?? rings.set(pk, [entry]);
      }
      for (const [pk, entries] of rings) {
        let slot = device.slot(pk);
        if (slot < 0) slot = device.add(this.#intern(pk));
        entries.sort((a, b) => a.seq - b.seq);
        const sorted = entries.every((e, i) => i === 0 || e.time >= entries[i - 1]!.time);
        device.setRing(slot, entries.length, entries.at(-1)!.seq + 1, Math.max(...entries.map((e) => e.time)), sorted);
      }
      return device;
    });
  }

  #intern(pk: string): string {
    const known = this.#pathKeys.get(pk);
    if (known !== undefined) return known;
    if (this.#pathKeys.size < 10_000) this.#pathKeys.set(pk, pk);
    return pk;
  }
}
