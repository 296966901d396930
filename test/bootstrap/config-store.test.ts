import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LevelBootstrapConfigStore } from '../../src/store/bootstrap-config-level.js';
import { MemoryBootstrapConfigStore } from '../../src/store/bootstrap-config-memory.js';
import { openDatabase, sublevel } from '../../src/store/level-db.js';
import { levelFixture } from '../helpers/level-fixture.js';
import { BS_KEY_HEX, bootstrapConfig, bootstrapConfigStoreSuite } from '../_suites/bootstrap-config-store.js';

bootstrapConfigStoreSuite(test, 'memory', async () => {
  const store = new MemoryBootstrapConfigStore();
  return { store, dispose: () => store.close() };
});

bootstrapConfigStoreSuite(test, 'level', () => levelFixture('bscfg', (db) => LevelBootstrapConfigStore.open(db)));

test('level: configurations and their keys survive a reopen; an unreadable entry is skipped', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-bscfg-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let db = await openDatabase(dir);
  let store = await LevelBootstrapConfigStore.open(db);
  const c = bootstrapConfig('dev-1');
  await store.add(c);
  await store.add(bootstrapConfig('dev-2'));
  await store.remove('dev-2');
  await sublevel(db, 'bs-config').put('broken', { servers: 'not an array' });
  await store.close();
  await db.close();

  db = await openDatabase(dir);
  store = await LevelBootstrapConfigStore.open(db);
  t.deepEqual(await store.get('dev-1'), c);
  t.is(await store.get('dev-2'), undefined);
  t.is(await store.get('broken'), undefined);
  t.is(store.size, 1);
  t.is(store.pskKeyFor('bs-dev-1')?.toString('hex'), BS_KEY_HEX);
  await store.close();
  await db.close();
});
