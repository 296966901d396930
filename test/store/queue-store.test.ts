import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
import { levelFixture } from '../helpers/level-fixture.js';
import { openDatabase, sublevel } from '../../src/store/level-db.js';
import { LevelRequestQueueStore } from '../../src/store/queue-level.js';
import { MemoryRequestQueueStore } from '../../src/store/queue-memory.js';
import { T0, queueStoreSuite, request } from '../_suites/queue-store.js';

queueStoreSuite(test, 'memory', async () => {
  const store = new MemoryRequestQueueStore();
  return { store, dispose: () => store.close() };
});

queueStoreSuite(test, 'level', () => levelFixture('queue', (db) => LevelRequestQueueStore.open(db)));

test('level: after reopening, pending order, depth, results and seq continuity are all there', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-queue-'));
  let db = await openDatabase(dir);
  let store = await LevelRequestQueueStore.open(db);
  const seqs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const seq = store.nextSeq();
    seqs.push(seq);
    await store.enqueue(request({ seq, endpoint: i % 2 === 0 ? 'ep-1' : 'ep-2' }));
  }
  await store.setStatus(`q${seqs[0]}`, 'sent', T0 + 1);
  await store.setStatus(`q${seqs[0]}`, 'succeeded', T0 + 2, { value: 7 });
  await store.close();
  await db.close();

  db = await openDatabase(dir);
  store = await LevelRequestQueueStore.open(db);
  t.deepEqual((await store.pending('ep-1')).map((r) => r.seq), [seqs[2], seqs[4]]);
  t.deepEqual((await store.pending('ep-2')).map((r) => r.seq), [seqs[1], seqs[3]]);
  t.is(await store.depth(), 4);
  t.is(await store.depth('ep-1'), 2);
  t.deepEqual((await store.get(`q${seqs[0]}`))?.result, { value: 7 });
  const next = store.nextSeq();
  t.true(next > Math.max(...seqs), 'new requests order after old ones');
  await store.enqueue(request({ seq: next, id: 'new' }));
  t.deepEqual((await store.pending('ep-1')).map((r) => r.id), [`q${seqs[2]}`, `q${seqs[4]}`, 'new']);
  t.is((await store.expire(T0 + 60_000)).length, 5);
  await store.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

test('level: seq continues after a restart even when every request was pruned', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-queue-'));
  let db = await openDatabase(dir);
  let store = await LevelRequestQueueStore.open(db);
  await store.enqueue(request({ seq: 77 }));
  await store.setStatus('q77', 'cancelled', T0);
  t.is(await store.prune(T0 + 1), 1);
  await store.close();
  await db.close();

  db = await openDatabase(dir);
  store = await LevelRequestQueueStore.open(db);
  t.true(store.nextSeq() > 77);
  await store.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

test('level: a corrupt stored request is skipped with a warning, not a crash', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-queue-'));
  let db = await openDatabase(dir);
  let store = await LevelRequestQueueStore.open(db);
  await store.enqueue(request({ seq: 1 }));
  await store.enqueue(request({ seq: 2 }));
  await store.close();
  await sublevel(db, 'queue').put('r\x00q1', 'not json at all', { valueEncoding: 'utf8' });
  await db.close();

  const lines: string[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(chunk.toString()), cb()) });
  db = await openDatabase(dir);
  store = await LevelRequestQueueStore.open(db, undefined, { logger: createLogger({ destination }) });
  t.deepEqual((await store.pending('ep-1')).map((r) => r.id), ['q2']);
  t.is(await store.get('q1'), undefined);
  t.is(await store.depth('ep-1'), 1, 'depth agrees with what pending() can deliver');
  t.true(lines.some((l) => l.includes('skipped') && l.includes('"level":40')));
  t.deepEqual((await store.expire(T0 + 60_000)).map((r) => r.id), ['q2']);
  await store.close();
  await db.close();
  await rm(dir, { recursive: true, force: true });
});
