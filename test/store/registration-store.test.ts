import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';
import { LevelRegistrationStore } from '../../src/store/registration-level.js';
import { levelFixture } from '../helpers/level-fixture.js';
import { openDatabase, sublevel } from '../../src/store/level-db.js';
import { silentLogger } from '../../src/log.js';
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

test('level: links are stored compactly, read back equal, and shared by registrations with the same list', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-reg-'));
  let db = await openDatabase(dir);
  let store = await LevelRegistrationStore.open(db);
  const objectLinks = [
    { path: '/1', objectId: 1, version: '1.1' },
    { path: '/1/0', objectId: 1, instanceId: 0 },
    { path: '/3303/12', objectId: 3303, instanceId: 12 },
    { path: '/31024', objectId: 31024, version: '2.0' },
  ];
  await store.add(registration({ objectLinks }));
  await store.add(registration({ id: 'r2', endpoint: 'ep-2', objectLinks, address: { address: '127.0.0.1', port: 2 } }));
  await store.close();
  const raw = JSON.parse((await sublevel(db, 'reg').get('r1', { valueEncoding: 'utf8' })) as string) as Record<string, unknown>;
  t.is(raw.links, '/1;1.1,/1/0,/3303/12,/31024;2.0');
  t.false('objectLinks' in raw);
  await db.close();

  db = await openDatabase(dir);
  store = await LevelRegistrationStore.open(db);
  const [a, b] = await Promise.all([store.getById('r1'), store.getById('r2')]);
  t.deepEqual(a?.objectLinks, objectLinks);
  t.is(a?.objectLinks, b?.objectLinks, 'one shared list');
  t.true(Object.isFrozen(a?.objectLinks[0]));
  await store.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

test('level: records written with links as objects (earlier versions) still load; a damaged record is skipped', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-reg-'));
  let db = await openDatabase(dir);
  const old = { ...registration({ id: 'old', endpoint: 'ep-old', objectLinks: [{ path: '/3/0', objectId: 3, instanceId: 0 }] }) };
  await sublevel(db, 'reg').put('old', old);
  await sublevel(db, 'reg').put('bad', '{"id":', { valueEncoding: 'utf8' });
  await sublevel(db, 'reg').put('shape', { id: 'shape' });
  await db.close();
  db = await openDatabase(dir);
  const store = await LevelRegistrationStore.open(db, undefined, { logger: silentLogger() });
  t.deepEqual(await store.getById('old'), old);
  t.is(store.size, 1);
  await store.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

test('level: an Update that only renews writes a renewal record, applied at reopening; a later full write supersedes it; removal deletes both', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-reg-'));
  const reopen = async (): Promise<LevelRegistrationStore> => LevelRegistrationStore.open(db);
  let db = await openDatabase(dir);
  let store = await reopen();
  const reg = registration();
  await store.add(reg);
  // Renewed from a new address (a NAT rebinding): still a renewal.
  const renewed = { ...reg, lastUpdate: reg.lastUpdate + 5000, expiresAt: reg.expiresAt + 5000, address: { address: '127.0.0.9', port: 5999 } };
  t.deepEqual(await store.update(renewed), reg, 'returns the previous version');
  await store.close();
  const raw = async (sub: string): Promise<unknown> => JSON.parse(((await sublevel(db, sub).get('r1', { valueEncoding: 'utf8' })) as string | undefined) ?? 'null');
  t.is((await raw('reg') as { lastUpdate: number }).lastUpdate, reg.lastUpdate, 'the whole registration is not rewritten');
  t.deepEqual(await raw('reg-renewed'), { u: renewed.lastUpdate, x: renewed.expiresAt, a: '127.0.0.9', p: 5999 });
  await db.close();

  db = await openDatabase(dir);
  store = await reopen();
  t.deepEqual(store.getById('r1'), renewed);
  t.deepEqual(store.getByAddress({ address: '127.0.0.9', port: 5999 }), renewed, 'indexed by its new address');
  t.is(store.getByAddress(reg.address), undefined);
  // Anything else changed: the whole registration is written, newer than the renewal record.
  const changed = { ...renewed, lifetime: renewed.lifetime * 2, lastUpdate: renewed.lastUpdate + 1000, expiresAt: renewed.expiresAt + 9000 };
  await store.update(changed);
  await store.close();
  t.is((await raw('reg') as { lifetime: number }).lifetime, changed.lifetime);
  await db.close();

  db = await openDatabase(dir);
  store = await reopen();
  t.deepEqual(store.getById('r1'), changed);
  await store.remove('r1');
  await store.close();
  t.is(await raw('reg'), null);
  t.is(await raw('reg-renewed'), null);
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

test('level: a renewal record of a registration that is gone is dropped at open', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-reg-'));
  const db = await openDatabase(dir);
  await sublevel(db, 'reg-renewed').put('ghost', '{"u":1,"x":2,"a":"::1","p":5}', { valueEncoding: 'utf8' });
  const store = await LevelRegistrationStore.open(db);
  t.is(store.size, 0);
  await store.close();
  t.is(await sublevel(db, 'reg-renewed').get('ghost'), undefined);
  await db.close();
  await rm(dir, { recursive: true, force: true });
});
