import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LevelAuditStore, MemoryAuditStore } from '../../src/ops/audit-store.js';
import { levelQuarantineStore, memoryQuarantineStore } from '../../src/ops/quarantine-store.js';
import { levelTagStore, memoryTagStore } from '../../src/ops/tag-store.js';
import { levelApiTokenStore, memoryApiTokenStore } from '../../src/ops/token-store.js';
import { openDatabase, type Database } from '../../src/store/level-db.js';
import { auditStoreSuite } from '../_suites/audit-store.js';
import { quarantineRecord, quarantineStoreSuite } from '../_suites/quarantine-store.js';
import { levelFixture } from '../helpers/level-fixture.js';
import { tagStoreSuite } from '../_suites/tags-store.js';
import { tokenStoreSuite } from '../_suites/token-store.js';

/** A LevelDB store in a fresh folder, and how to dispose of it. */
function level<S extends { close(): Promise<void> }>(open: (db: Database) => Promise<S>) {
  return () => levelFixture('ops', open);
}

function memory<S extends { close(): Promise<void> }>(make: () => S) {
  return async () => {
    const store = make();
    return { store, dispose: () => store.close() };
  };
}

quarantineStoreSuite(test, 'quarantine memory', memory(memoryQuarantineStore));
quarantineStoreSuite(test, 'quarantine level', level((db) => levelQuarantineStore(db)));
auditStoreSuite(test, 'audit memory', memory(() => new MemoryAuditStore()));
auditStoreSuite(test, 'audit level', level((db) => LevelAuditStore.open(db)));
tagStoreSuite(test, 'tags memory', memory(memoryTagStore));
tagStoreSuite(test, 'tags level', level((db) => levelTagStore(db)));
tokenStoreSuite(test, 'tokens memory', memory(memoryApiTokenStore));
tokenStoreSuite(test, 'tokens level', level((db) => levelApiTokenStore(db)));

test('level: quarantine, audit, tags and tokens survive closing and reopening the database', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-ops-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let db = await openDatabase(dir);
  const q = await levelQuarantineStore(db);
  const a = await LevelAuditStore.open(db);
  const g = await levelTagStore(db);
  const k = await levelApiTokenStore(db);
  await q.put(quarantineRecord());
  await a.append({ at: 1, actor: { kind: 'token', name: 'admin' }, action: 'quarantine', target: 'ep-1' });
  await a.append({ at: 2, actor: { kind: 'token', name: 'admin' }, action: 'tag', target: 'ep-1' });
  await g.set('ep-1', { street: '5' });
  await k.add({ id: 't1', name: 'ci', hash: 'f'.repeat(64), readOnly: false, createdAt: 1 });
  for (const s of [q, a, g, k]) await s.close();
  await db.close();

  db = await openDatabase(dir);
  const q2 = await levelQuarantineStore(db);
  const a2 = await LevelAuditStore.open(db);
  const g2 = await levelTagStore(db);
  const k2 = await levelApiTokenStore(db);
  t.is((await q2.findByIdentity('psk:id-1'))?.endpoint, 'ep-1');
  t.deepEqual((await a2.list()).map((e) => e.action), ['quarantine', 'tag']);
  // Sequence numbers continue after a restart.
  t.is((await a2.append({ at: 3, actor: { kind: 'token', name: 'admin' }, action: 'release' })).seq, 3);
  t.deepEqual(await g2.get('ep-1'), { street: '5' });
  t.is((await k2.getByHash('f'.repeat(64)))?.name, 'ci');
  for (const s of [q2, a2, g2, k2]) await s.close();
  await db.close();
});
