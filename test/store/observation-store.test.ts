import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
import { levelFixture } from '../helpers/level-fixture.js';
import { openDatabase, sublevel } from '../../src/store/level-db.js';
import { LevelObservationStore } from '../../src/store/observation-level.js';
import { MemoryObservationStore } from '../../src/store/observation-memory.js';
import { observation, observationStoreSuite } from '../_suites/observation-store.js';

observationStoreSuite(test, 'memory', async () => {
  const store = new MemoryObservationStore();
  return { store, dispose: () => store.close() };
});

observationStoreSuite(test, 'level', () => levelFixture('obs', (db) => LevelObservationStore.open(db)));

test('level: observations survive closing and reopening the database', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-obs-'));
  let db = await openDatabase(dir);
  let store = await LevelObservationStore.open(db);
  await store.add(observation({ token: '01', lastSequence: 5 }));
  await store.add(observation({ token: '02', composite: true, paths: ['/3/0', '/5/0'] }));
  await store.add(observation({ token: '03', endpoint: 'ep-2' }));
  await store.remove('03');
  await store.close();
  await db.close();

  db = await openDatabase(dir);
  store = await LevelObservationStore.open(db);
  t.deepEqual(await store.getByToken('01'), observation({ token: '01', lastSequence: 5 }));
  t.deepEqual((await store.listByEndpoint('ep-1')).map((o) => o.token), ['01', '02']);
  t.is(await store.getByToken('03'), undefined);
  await store.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

test('level: an unreadable stored observation is skipped with a warning, the rest load', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-obs-'));
  let db = await openDatabase(dir);
  let store = await LevelObservationStore.open(db);
  await store.add(observation({ token: '01' }));
  await store.close();
  const raw = sublevel(db, 'obs');
  await raw.put('02', '{"token": "02", "endpo', { valueEncoding: 'utf8' });
  await raw.put('03', JSON.stringify({ token: '03', endpoint: 7 }), { valueEncoding: 'utf8' });
  await db.close();

  const lines: string[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(chunk.toString()), cb()) });
  db = await openDatabase(dir);
  store = await LevelObservationStore.open(db, undefined, { logger: createLogger({ destination }) });
  t.deepEqual((await store.list()).map((o) => o.token), ['01']);
  t.is(lines.filter((l) => l.includes('skipped') && l.includes('"level":40')).length, 2);
  t.false(lines.some((l) => l.includes('"02"') || l.includes('"03"')), 'tokens are not logged');
  await store.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});
