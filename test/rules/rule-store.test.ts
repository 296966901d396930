import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, sublevel } from '../../src/store/level-db.js';
import { LevelRuleStore } from '../../src/store/rule-store-level.js';
import { MemoryRuleStore } from '../../src/store/rule-store-memory.js';
import { ruleStoreSuite, storedRule } from '../_suites/rule-store.js';

ruleStoreSuite(test, 'memory', async () => {
  const store = new MemoryRuleStore();
  return { store, dispose: () => store.close() };
});

ruleStoreSuite(test, 'level', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-rules-'));
  const db = await openDatabase(dir);
  const store = await LevelRuleStore.open(db);
  return {
    store,
    dispose: async () => {
      await store.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

test('level: rules survive closing and reopening; an unreadable entry is skipped', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-rules-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let db = await openDatabase(dir);
  let store = await LevelRuleStore.open(db);
  await store.put(storedRule({ name: 'a' }));
  await store.put(storedRule({ name: 'b', dryRun: true }));
  await store.put(storedRule({ name: 'c' }));
  await store.remove('c');
  await store.close();
  await sublevel(db, 'rules').put('broken', { name: 'broken' });
  await db.close();

  db = await openDatabase(dir);
  store = await LevelRuleStore.open(db);
  t.deepEqual(await store.list(), [storedRule({ name: 'a' }), storedRule({ name: 'b', dryRun: true })]);
  await store.close();
  await db.close();
});
