import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { openDatabase, sublevel, type Database } from '../../src/store/level-db.js';
import { LevelObjectStore } from '../../src/store/object-store-level.js';
import { MemoryObjectStore } from '../../src/store/object-store-memory.js';
import { decodeEntry, type RingEntry } from '../../src/store/object-store-ring.js';
import type { StoredValue } from '../../src/store/types.js';
import { seededRandom } from '../helpers/prng.js';

/*
 * The LevelDB store against the in-memory one as the model: random bursts of concurrent puts
 * (mostly in time order, some late, some with equal times), retention by age, removals,
 * restarts and a tiny device cache. After every burst both must answer alike.
 */
const T0 = 1_700_000_000_000;
const ENDPOINTS = ['a', 'b', 'a b', 'c'];
const PATHS = ['/3303/0/5700', '/3303/1/5700', '/3/0/9'];

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
  test(`level store behaves as the memory store (seed ${seed})`, async (t) => {
    const rnd = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const maxEntries = pick([1, 2, 3, 5, 8]);
    const maxAgeMs = 5_000;
    const cachedDevices = pick([1, 2, 1000]);
    const retention = { maxEntries, maxAgeMs };
    const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-obj-model-'));
    let db: Database = await openDatabase(dir);
    let level = await LevelObjectStore.open(db, undefined, { retention, cachedDevices, logger: silentLogger() });
    const memory = new MemoryObjectStore({ retention });
    let clock = T0;
    let n = 0;
    const valueAt = (): StoredValue => {
      const r = rnd();
      // Mostly newer than anything so far; sometimes late (historical data) or a repeated time.
      const time = r < 0.7 ? (clock += Math.floor(rnd() * 400)) : r < 0.9 ? clock - Math.floor(rnd() * 4_000) : clock;
      return { endpoint: pick(ENDPOINTS), path: pick(PATHS), value: { type: 'integer', value: n++ }, time: Math.max(0, time), receivedAt: clock, source: 'notify' };
    };
    const ints = (vs: StoredValue[]) => vs.map((v) => `${v.endpoint}${v.path}=${String(v.value.value)}@${v.time - T0}`);
    try {
      for (let step = 0; step < 60; step++) {
        const r = rnd();
        if (r < 0.06) {
          const ep = pick(ENDPOINTS);
          await Promise.all([level.removeEndpoint(ep), memory.removeEndpoint(ep)]);
        } else if (r < 0.12) {
          const now = clock + Math.floor(rnd() * 3_000);
          t.is(await level.applyRetention(now), await memory.applyRetention(now), `step ${step}: entries removed by age`);
        } else if (r < 0.17) {
          await level.close();
          await db.close();
          db = await openDatabase(dir);
          level = await LevelObjectStore.open(db, undefined, { retention, cachedDevices, logger: silentLogger() });
        } else {
          // A burst: several put calls issued in one turn, each of one to three values.
          const puts = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => Array.from({ length: 1 + Math.floor(rnd() * 3) }, valueAt));
          const done = puts.map((vs) => level.put(vs));
          for (const vs of puts) await memory.put(vs);
          await Promise.all(done);
        }
        // On disk each path's ring holds consecutive sequence numbers in slots seq % maxEntries:
        // what lets a write go to the next slot without looking.
        await level.close(); // commits what is queued (the store stays usable: close only flushes)
        const rings = new Map<string, { slot: number; entry: RingEntry }[]>();
        for (const [key, raw] of await sublevel(db, 'obj-ring').iterator({ valueEncoding: 'utf8' }).all()) {
          const base = key.slice(0, key.lastIndexOf('\x00'));
          rings.get(base) ?? rings.set(base, []);
          rings.get(base)!.push({ slot: Number(key.slice(base.length + 1)), entry: decodeEntry(raw)! });
        }
        for (const [base, list] of rings) {
          list.sort((x, y) => x.entry.seq - y.entry.seq);
          const ok = list.every((e, i) => e.slot === e.entry.seq % maxEntries && (i === 0 || e.entry.seq === list[i - 1]!.entry.seq + 1));
          t.true(ok && list.length <= maxEntries, `step ${step}: ring of ${JSON.stringify(base)}`);
        }
        for (const ep of ENDPOINTS) {
          t.deepEqual(ints(await level.latest(ep)), ints(await memory.latest(ep)), `step ${step}: latest of ${ep}`);
          for (const p of PATHS) {
            t.deepEqual(ints(await level.history(ep, p)), ints(await memory.history(ep, p)), `step ${step}: history of ${ep} ${p}`);
            const q = { since: clock - Math.floor(rnd() * 6_000), limit: 1 + Math.floor(rnd() * 4) };
            t.deepEqual(ints(await level.history(ep, p, q)), ints(await memory.history(ep, p, q)), `step ${step}: history of ${ep} ${p} since/limit`);
          }
        }
      }
    } finally {
      await level.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
