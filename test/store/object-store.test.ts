import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../src/log.js';
import { BatchWriter } from '../../src/store/batch-writer.js';
import { openDatabase, sublevel, type Database } from '../../src/store/level-db.js';
import { LevelObjectStore, type LevelObjectStoreOptions } from '../../src/store/object-store-level.js';
import { MemoryObjectStore } from '../../src/store/object-store-memory.js';
import { T0, objectStoreSuite, value } from '../_suites/object-store.js';

objectStoreSuite(test, 'memory', async (options) => {
  const store = new MemoryObjectStore(options);
  return { store, dispose: () => store.close() };
});

objectStoreSuite(test, 'level', async (options) => {
  const { store, dispose } = await levelStore(options);
  return { store, dispose };
});

// A tiny state cache forces the level store to reload device state from disk between writes.
objectStoreSuite(test, 'level, 1 cached device', async (options) => {
  const { store, dispose } = await levelStore({ ...options, cachedDevices: 1 });
  return { store, dispose };
});

async function levelStore(options: LevelObjectStoreOptions, dir?: string) {
  const folder = dir ?? (await mkdtemp(path.join(tmpdir(), 'lwm2m-obj-')));
  const db = await openDatabase(folder);
  const store = await LevelObjectStore.open(db, undefined, { logger: silentLogger(), ...options });
  const close = async () => {
    await store.close();
    await db.close();
  };
  const dispose = async () => {
    await close();
    await rm(folder, { recursive: true, force: true });
  };
  return { store, db, dir: folder, close, dispose };
}

const floats = (list: { value: { value: unknown } }[]) => list.map((s) => s.value.value);

test('level: latest values and history survive closing and reopening', async (t) => {
  const first = await levelStore({});
  await first.store.put([value({ v: 1, time: T0 + 1 }), value({ v: 2, time: T0 + 2 }), value({ path: '/3/0/9', v: 80 })]);
  await first.close();

  const again = await levelStore({}, first.dir);
  t.deepEqual(floats(await again.store.latest('ep-1')), [80, 2]);
  t.deepEqual(floats(await again.store.history('ep-1', '/3303/0/5700')), [2, 1]);
  await again.store.put([value({ v: 0, time: T0 })]);
  t.deepEqual(floats(await again.store.latest('ep-1', '/3303')), [2], 'an older value still does not replace the latest after a restart');
  await again.store.put([value({ v: 3, time: T0 + 2 })]);
  t.deepEqual(floats(await again.store.history('ep-1', '/3303/0/5700')), [3, 2, 1, 0], 'equal times keep arrival order across restarts');
  await again.dispose();
});

test('level: the history bound holds across restarts', async (t) => {
  const first = await levelStore({ retention: { maxEntries: 10 } });
  for (let i = 0; i < 8; i++) await first.store.put([value({ v: i, time: T0 + i })]);
  await first.close();
  const again = await levelStore({ retention: { maxEntries: 10 } }, first.dir);
  for (let i = 8; i < 40; i++) await again.store.put([value({ v: i, time: T0 + i })]);
  await again.store.close();
  let stored = 0;
  for await (const _ of sublevel(again.db, 'obj-ring').keys()) stored++;
  t.is(stored, 10, 'history on disk is bounded on write');
  t.deepEqual(floats(await again.store.history('ep-1', '/3303/0/5700', { limit: 3 })), [39, 38, 37]);
  await again.dispose();
});

test('level: stores sharing one database and writer keep apart', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-obj-'));
  const db: Database = await openDatabase(dir);
  const writer = new BatchWriter(db);
  const a = await LevelObjectStore.open(db, writer);
  await Promise.all(Array.from({ length: 50 }, (_, i) => a.put([value({ v: i, time: T0 + i })])));
  t.true(writer.stats.batches < 10, `50 puts in one turn coalesce (${writer.stats.batches} batches)`);
  t.deepEqual(floats(await a.latest('ep-1')), [49]);
  await a.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

test('level: a corrupt stored value is skipped with a warning; the device keeps working', async (t) => {
  const first = await levelStore({});
  await first.store.put([value({ v: 1, time: T0 + 1 }), value({ path: '/3/0/9', v: 80 })]);
  await first.store.close();
  const latestRaw = sublevel(first.db, 'obj-latest');
  const key = (await latestRaw.keys().all()).find((k) => k.endsWith('00003/00000/00009')) as string;
  await latestRaw.put(key, '{"endpoint":', { valueEncoding: 'utf8' });
  const histRaw = sublevel(first.db, 'obj-ring');
  const hkey = (await histRaw.keys().all()).find((k) => k.includes('05700')) as string;
  await histRaw.put(hkey, '[1,2', { valueEncoding: 'utf8' });
  await first.db.close();

  const lines: string[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(chunk.toString()), cb()) });
  const again = await levelStore({ logger: createLogger({ destination }) }, first.dir);
  t.deepEqual(floats(await again.store.latest('ep-1')), [1]);
  t.deepEqual(await again.store.history('ep-1', '/3303/0/5700'), []);
  await again.store.put([value({ path: '/3/0/9', v: 81, time: T0 - 5 })]);
  t.deepEqual(floats(await again.store.latest('ep-1', '/3/0/9')), [81], 'a new value replaces the unreadable one');
  t.true(lines.filter((l) => l.includes('skipped') && l.includes('"level":40')).length >= 2);
  await again.dispose();
});

test('level: values arriving out of time order under concurrent writes keep the newest by time', async (t) => {
  const s = await levelStore({ retention: { maxEntries: 10 } });
  // Bursts of puts in one turn (so trims overlap later writes), times shuffled within a burst.
  for (let burst = 0; burst < 12; burst++) {
    const times = Array.from({ length: 9 }, (_, i) => burst * 9 + ((i * 5) % 9));
    await Promise.all(times.map((i) => s.store.put([value({ v: i, time: T0 + i })])));
  }
  await s.store.close();
  const keys = await sublevel(s.db, 'obj-ring').keys().all();
  t.is(keys.length, 10, 'maxEntries stay on disk');
  t.deepEqual(floats(await s.store.history('ep-1', '/3303/0/5700')), [107, 106, 105, 104, 103, 102, 101, 100, 99, 98]);
  await s.dispose();
});

test('level: a value older than a full history is dropped from it; one in between replaces the oldest', async (t) => {
  const s = await levelStore({ retention: { maxEntries: 3 } });
  for (const i of [10, 20, 30]) await s.store.put([value({ v: i, time: T0 + i })]);
  await s.store.put([value({ v: 5, time: T0 + 5 })]);
  t.deepEqual(floats(await s.store.history('ep-1', '/3303/0/5700')), [30, 20, 10]);
  await s.store.put([value({ v: 25, time: T0 + 25 })]);
  t.deepEqual(floats(await s.store.history('ep-1', '/3303/0/5700')), [30, 25, 20]);
  await s.store.put([value({ v: 40, time: T0 + 40 }), value({ v: 35, time: T0 + 35 })]);
  t.deepEqual(floats(await s.store.history('ep-1', '/3303/0/5700')), [40, 35, 30]);
  t.deepEqual(floats(await s.store.latest('ep-1')), [40]);
  await s.close();
  const again = await levelStore({ retention: { maxEntries: 3 } }, s.dir);
  await again.store.put([value({ v: 45, time: T0 + 45 })]);
  t.deepEqual(floats(await again.store.history('ep-1', '/3303/0/5700')), [45, 40, 35], 'the ring continues after a restart');
  await again.dispose();
});

test('level: history written in the former layout (obj-hist) is moved into rings at open', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-obj-'));
  const db = await openDatabase(dir);
  const legacy = sublevel(db, 'obj-hist');
  // "<ep> <path> <time 15> <tiebreak 19>", as the former store wrote them.
  const key = (ep: string, pk: string, time: number, n: number) => [ep, pk, String(time).padStart(15, '0'), String(n).padStart(19, '0')].join('\x00');
  for (let i = 0; i < 6; i++) await legacy.put(key('ep-1', '03303/00000/05700', T0 + i, i), JSON.stringify(value({ v: i, time: T0 + i })), { valueEncoding: 'utf8' });
  await legacy.put(key('ep-2', '03303/00000/05700', T0, 9), JSON.stringify(value({ endpoint: 'ep-2', v: 9 })), { valueEncoding: 'utf8' });
  await legacy.put(key('ep-2', '03303/00000/05700', T0 + 1, 10), '{"broken', { valueEncoding: 'utf8' });
  await db.close();

  const s = await levelStore({ retention: { maxEntries: 4 } }, dir);
  t.deepEqual(floats(await s.store.history('ep-1', '/3303/0/5700')), [5, 4, 3, 2], 'the newest maxEntries per path');
  t.deepEqual(floats(await s.store.history('ep-2', '/3303/0/5700')), [9], 'unreadable entries are dropped');
  t.deepEqual(await sublevel(s.db, 'obj-hist').keys().all(), []);
  await s.store.put([value({ v: 6, time: T0 + 6 })]);
  t.deepEqual(floats(await s.store.history('ep-1', '/3303/0/5700')), [6, 5, 4, 3]);
  await s.dispose();
});

test('level: a smaller or larger maxEntries after a restart keeps the newest entries', async (t) => {
  const first = await levelStore({ retention: { maxEntries: 5 } });
  for (let i = 0; i < 8; i++) await first.store.put([value({ v: i, time: T0 + i }), value({ path: '/3/0/9', v: i, time: T0 + i })]);
  await first.close();
  const smaller = await levelStore({ retention: { maxEntries: 3 } }, first.dir);
  t.deepEqual(floats(await smaller.store.history('ep-1', '/3303/0/5700')), [7, 6, 5]);
  await smaller.store.put([value({ v: 8, time: T0 + 8 })]);
  t.deepEqual(floats(await smaller.store.history('ep-1', '/3303/0/5700')), [8, 7, 6]);
  t.is((await sublevel(smaller.db, 'obj-ring').keys().all()).length, 6);
  await smaller.close();
  const larger = await levelStore({ retention: { maxEntries: 6 } }, first.dir);
  for (let i = 9; i < 13; i++) await larger.store.put([value({ v: i, time: T0 + i })]);
  t.deepEqual(floats(await larger.store.history('ep-1', '/3303/0/5700')), [12, 11, 10, 9, 8, 7]);
  t.deepEqual(floats(await larger.store.history('ep-1', '/3/0/9')), [7, 6, 5]);
  await larger.dispose();
});

test('level: applyRetention by age keeps the ring writable', async (t) => {
  const s = await levelStore({ retention: { maxEntries: 4, maxAgeMs: 1000 } });
  for (let i = 0; i < 6; i++) await s.store.put([value({ v: i, time: T0 + i * 400 })]);
  t.is(await s.store.applyRetention(T0 + 2600), 2, 'T0+800 and T0+1200 are older than 1000 ms');
  t.deepEqual(floats(await s.store.history('ep-1', '/3303/0/5700')), [5, 4]);
  await s.store.put([value({ v: 6, time: T0 + 2400 }), value({ v: 7, time: T0 + 2800 })]);
  t.deepEqual(floats(await s.store.history('ep-1', '/3303/0/5700')), [7, 6, 5, 4]);
  await s.store.put([value({ v: 8, time: T0 + 3000 })]);
  t.deepEqual(floats(await s.store.history('ep-1', '/3303/0/5700')), [8, 7, 6, 5]);
  await s.dispose();
});

test('level: a late value in a ring that is not full, then expired, leaves the ring writable in order', async (t) => {
  const s = await levelStore({ retention: { maxEntries: 5, maxAgeMs: 1000 } });
  for (const ms of [1000, 1500, 2000, 100, 2500]) await s.store.put([value({ v: ms, time: T0 + ms })]);
  t.deepEqual(floats(await s.store.history('ep-1', '/3303/0/5700')), [2500, 2000, 1500, 1000, 100]);
  t.is(await s.store.applyRetention(T0 + 2050), 2, 'T0+100 and T0+1000 are older than 1000 ms');
  for (const ms of [3000, 3500, 4000]) await s.store.put([value({ v: ms, time: T0 + ms })]);
  t.deepEqual(floats(await s.store.history('ep-1', '/3303/0/5700')), [4000, 3500, 3000, 2500, 2000]);
  t.is((await sublevel(s.db, 'obj-ring').keys().all()).length, 5);
  await s.close();
  const again = await levelStore({ retention: { maxEntries: 5, maxAgeMs: 1000 } }, s.dir);
  await again.store.put([value({ v: 1800, time: T0 + 1800 })]);
  t.deepEqual(floats(await again.store.history('ep-1', '/3303/0/5700')), [4000, 3500, 3000, 2500, 2000], 'older than a full history: not kept');
  await again.store.put([value({ v: 4500, time: T0 + 4500 })]);
  t.deepEqual(floats(await again.store.history('ep-1', '/3303/0/5700')), [4500, 4000, 3500, 3000, 2500]);
  await again.dispose();
});

test('level: a value is stored without its endpoint and path, which come back from the key exactly, odd paths and endpoints too', async (t) => {
  const s = await levelStore({});
  const odd = 'ep \u0000 with \u0001 separators';
  const values = [
    value({ v: 1 }),
    value({ endpoint: odd, v: 2 }),
    // Paths whose key would not give them back as written are stored whole.
    value({ path: '/3/0/', v: 3 }),
    value({ path: '/31024/10/00007', v: 4 }),
    // A segment past 5 digits is kept as written in the key: it comes back.
    value({ path: '/3/0/123456', v: 5 }),
  ];
  await s.store.put(values);
  await s.store.close();
  const raw = async (name: string) => (await sublevel(s.db, name).iterator({ valueEncoding: 'utf8' }).all()).map(([, v]) => v as string);
  const latestTexts = await raw('obj-latest');
  t.is(latestTexts.length, 5);
  t.is(latestTexts.filter((v) => !v.includes('"endpoint"')).length, 3, latestTexts.join('\n'));
  t.true(latestTexts.filter((v) => !v.includes('"endpoint"')).every((v) => v.startsWith('{"value":{"type":"float"')));
  t.true((await raw('obj-ring')).every((v) => v.includes('"v":{"value"') === !v.includes('"endpoint"')));
  await s.db.close();

  const again = await levelStore({}, s.dir);
  t.deepEqual(floats(await again.store.latest('ep-1')), [3, 5, 1, 4], 'in path order');
  for (const v of values) {
    // (latest of "/3/0/" is the subtree of /3/0: /3/0/123456 too.)
    t.deepEqual((await again.store.latest(v.endpoint, v.path)).filter((x) => x.path === v.path), [v], `latest ${v.endpoint} ${v.path}`);
    t.deepEqual(await again.store.history(v.endpoint, v.path), [v], `history ${v.endpoint} ${v.path}`);
  }
  t.deepEqual(await again.store.latestAcross('/3303/0/5700'), [values[1], values[0]]);
  await again.dispose();
});

test('level: values stored whole by earlier versions read back unchanged', async (t) => {
  const s = await levelStore({});
  const v = value({ v: 7, time: T0 + 7 });
  await s.store.put([v]);
  await s.store.close();
  // Rewrite both entries as earlier versions wrote them: the whole StoredValue.
  const latest = sublevel(s.db, 'obj-latest');
  const ring = sublevel(s.db, 'obj-ring');
  const [latestKey] = await latest.keys().all();
  const [ringKey] = await ring.keys().all();
  await latest.put(latestKey!, JSON.stringify(v), { valueEncoding: 'utf8' });
  await ring.put(ringKey!, `{"s":0,"t":${v.time},"v":${JSON.stringify(v)}}`, { valueEncoding: 'utf8' });
  await s.db.close();

  const again = await levelStore({}, s.dir);
  t.deepEqual(await again.store.latest('ep-1'), [v]);
  t.deepEqual(await again.store.history('ep-1', '/3303/0/5700'), [v]);
  t.deepEqual(await again.store.latestAcross('/3303/*/5700'), [v]);
  await again.store.put([value({ v: 8, time: T0 + 8 })]);
  t.deepEqual(floats(await again.store.history('ep-1', '/3303/0/5700')), [8, 7]);
  await again.dispose();
});
