import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';
import { LevelRegistrationStore } from '../../src/store/registration-level.js';
import { levelFixture } from '../helpers/level-fixture.js';
import { openDatabase } from '../../src/store/level-db.js';
import { registration, registrationStoreSuite } from '../_suites/registration-store.js';

registrationStoreSuite(test, 'memory', async () => {
  const store = new MemoryRegistrationStore();
  return { store, dispose: () => store.close() };
});

registrationStoreSuite(test, 'level', () => levelFixture('reg', (db) => LevelRegistrationStore.open(db)));

test('level: registrations survive closing and reopening the database', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-reg-'));
  let db = await openDatabase(dir);
  let store = await LevelRegistrationStore.open(db);
  await store.add(registration());
  await store.add(registration({ id: 'r2', endpoint: 'ep-2', address: { address: '::1', port: 5 } }));
  await store.remove('r2');
  await store.close();
  await db.close();

  db = await openDatabase(dir);
  store = await LevelRegistrationStore.open(db);
  t.deepEqual((await store.list()).map((r) => r.endpoint), ['ep-1']);
  t.deepEqual(await store.getByAddress({ address: '127.0.0.1', port: 40000 }), registration());
  await store.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});
