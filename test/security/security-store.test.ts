import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LevelSecurityStore } from '../../src/security/security-level.js';
import { MemorySecurityStore } from '../../src/security/security-memory.js';
import { openDatabase, sublevel } from '../../src/store/level-db.js';
import { p256PublicKey, psk, securityStoreSuite } from '../_suites/security-store.js';

securityStoreSuite(test, 'memory', async () => {
  const store = new MemorySecurityStore();
  return { store, dispose: () => store.close() };
});

securityStoreSuite(test, 'level', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-sec-'));
  const db = await openDatabase(dir);
  const store = await LevelSecurityStore.open(db);
  const dispose = async () => {
    await store.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { store, dispose };
});

test('level: credentials and their lookups survive closing and reopening the database', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-sec-'));
  const key = p256PublicKey();
  let db = await openDatabase(dir);
  let store = await LevelSecurityStore.open(db);
  await store.add(psk('ep-psk', 'id-psk'));
  await store.add({ endpoint: 'ep-rpk', mode: 'rpk', publicKey: key.raw });
  await store.add({ endpoint: 'ep-x509', mode: 'x509' });
  await store.add(psk('gone', 'id-gone'));
  await store.remove('gone');
  await store.close();
  await db.close();

  db = await openDatabase(dir);
  store = await LevelSecurityStore.open(db);
  t.deepEqual((await store.list()).map((s) => `${s.endpoint}:${s.mode}`), ['ep-psk:psk', 'ep-rpk:rpk', 'ep-x509:x509']);
  t.deepEqual(store.pskKeyFor('id-psk'), psk('ep-psk', 'id-psk').key);
  t.is(store.pskKeyFor('id-gone'), undefined);
  t.is(store.endpointForPublicKey(key.spki), 'ep-rpk');
  t.true(store.hasCredentials('ep-x509'));
  await store.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

test('level: keys are stored as hex in the "sec" sublevel, keyed by endpoint', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-sec-'));
  const db = await openDatabase(dir);
  const store = await LevelSecurityStore.open(db);
  await store.add(psk('ep-psk', 'id-psk'));
  await store.close();
  t.deepEqual(await sublevel(db, 'sec').get('ep-psk'), { endpoint: 'ep-psk', mode: 'psk', identity: 'id-psk', key: '00112233445566778899aabbccddeeff' });
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

test('level: an unreadable stored record stops the store from opening (never skipped)', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-sec-'));
  const db = await openDatabase(dir);
  await sublevel(db, 'sec').put('ep-bad', { endpoint: 'ep-bad', mode: 'psk', identity: 'x', key: 'not hex' });
  const err = await t.throwsAsync(LevelSecurityStore.open(db));
  t.is((err as { code?: string }).code, 'LWM2M_ERR_STORE');
  t.regex(err!.message, /ep-bad/);
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

test('level: two stored records claiming one PSK identity stop the store from opening', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-sec-'));
  const db = await openDatabase(dir);
  const sec = sublevel(db, 'sec');
  await sec.put('a', { endpoint: 'a', mode: 'psk', identity: 'same', key: '01' });
  await sec.put('b', { endpoint: 'b', mode: 'psk', identity: 'same', key: '02' });
  const err = await t.throwsAsync(LevelSecurityStore.open(db), { message: /endpoint "b" conflicts/ });
  t.is((err as { code?: string }).code, 'LWM2M_ERR_STORE');
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

test('level: a failed write leaves memory as it was (the index is what authorizes)', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-sec-'));
  const db = await openDatabase(dir);
  const store = await LevelSecurityStore.open(db);
  await store.add(psk('ep-1', 'id-1'));
  await db.close();
  await t.throwsAsync(store.add(psk('ep-1', 'id-new', 'ff')));
  await t.throwsAsync(store.add(psk('ep-2', 'id-2')));
  t.deepEqual(store.pskKeyFor('id-1'), psk('ep-1', 'id-1').key, 'the old credentials are back');
  t.is(store.pskKeyFor('id-new'), undefined);
  t.false(store.hasCredentials('ep-2'));
  await t.throwsAsync(store.remove('ep-1'));
  t.true(store.hasCredentials('ep-1'), 'a failed removal keeps the credentials');
  await rm(dir, { recursive: true, force: true });
});
