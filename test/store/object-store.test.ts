import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
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
  const store = await LevelObjectStore.open(db, undefined, options);
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
  for await (const _ of sublevel(again.db, 'obj-hist').keys()) stored++;
  t.true(stored <= 10 + 1, `history on disk is trimmed on write (found ${stored})`);
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
  const histRaw = sublevel(first.db, 'obj-hist');
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
