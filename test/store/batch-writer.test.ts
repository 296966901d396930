import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BatchWriter, type BatchOp } from '../../src/store/batch-writer.js';
import { openDatabase, sublevel, type Database } from '../../src/store/level-db.js';

async function database(t: { teardown(fn: () => Promise<void>): void }): Promise<Database> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-bw-'));
  const db = await openDatabase(dir);
  t.teardown(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });
  return db;
}

/** Every key and value of the database as stored (prefixes included), as text. */
async function raw(db: Database): Promise<[string, string][]> {
  return (await db.iterator({ keyEncoding: 'utf8', valueEncoding: 'utf8' }).all()).map(([k, v]) => [k, String(v)]);
}

const values: unknown[] = [{ u: 1764052000000, x: 1764138400000, a: '127.0.0.1', p: 40000 }, 'text', 42, [1, 'two', { three: 3 }], { nested: { ünï: 'çødé', empty: '' } }, true, 0];

test('writes the same keys and values as abstract-level batch, read back through the sublevels', async (t) => {
  const mine = await database(t);
  const theirs = await database(t);
  const ops = (db: Database): BatchOp[] => {
    const a = sublevel(db, 'reg');
    const b = sublevel(db, 'obj-ring');
    return [
      ...values.map((value, i): BatchOp => ({ type: 'put', sublevel: a, key: `k${i}`, value })),
      { type: 'put', sublevel: b, key: 'dev\x00003303\x000', value: '{"s":0,"t":1,"v":{"x":1}}', valueEncoding: 'utf8' },
      { type: 'put', sublevel: b, key: 'gone', value: 1 },
      { type: 'del', sublevel: b, key: 'gone' },
      { type: 'del', sublevel: a, key: 'never-written' },
    ];
  };
  await new BatchWriter(mine).write(ops(mine));
  await theirs.batch(ops(theirs));
  t.deepEqual(await raw(mine), await raw(theirs));
  const reg = sublevel(mine, 'reg');
  for (const [i, v] of values.entries()) t.deepEqual(await reg.get(`k${i}`), v);
  t.deepEqual(await sublevel(mine, 'obj-ring').get('dev\x00003303\x000'), { s: 0, t: 1, v: { x: 1 } });
  t.is(await sublevel(mine, 'obj-ring').get('gone'), undefined);
});

test('an operation abstract-level would refuse is refused the same way, and the batch writes nothing', async (t) => {
  const db = await database(t);
  const writer = new BatchWriter(db);
  const s = sublevel(db, 'reg');
  const err = await t.throwsAsync(writer.write([{ type: 'put', sublevel: s, key: 'ok', value: 1 }, { type: 'put', sublevel: s, key: 'bad', value: undefined }]));
  t.regex(String(err?.message), /value/i);
  t.deepEqual(await raw(db), []);
  // The writer goes on.
  await writer.write([{ type: 'put', sublevel: s, key: 'after', value: 2 }]);
  t.is(await s.get('after'), 2);
});

test('a write after the database closed is rejected with an error, not a crash', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-bw-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const db = await openDatabase(dir);
  const writer = new BatchWriter(db);
  await writer.write([{ type: 'put', sublevel: sublevel(db, 'reg'), key: 'a', value: 1 }]);
  await db.close();
  const err = await t.throwsAsync(writer.write([{ type: 'put', sublevel: sublevel(db, 'reg'), key: 'b', value: 2 }]));
  t.regex(String((err as { code?: string } | undefined)?.code ?? err?.message), /NOT_OPEN|not open/i);
});

test('a value JSON cannot encode fails its write only; the writes batched with it and later ones go on', async (t) => {
  const db = await database(t);
  const writer = new BatchWriter(db);
  const s = sublevel(db, 'reg');
  const bad = writer.write([{ type: 'put', sublevel: s, key: 'big', value: { n: 10n } }]);
  const next = writer.write([{ type: 'put', sublevel: s, key: 'fine', value: 1 }]);
  await t.throwsAsync(bad, { message: /BigInt/ });
  await next;
  t.is(await s.get('fine'), 1);
  t.is(await s.get('big'), undefined);
  await writer.flush();
});

test('writes commit in order, in batches of whole writes, the next batch leaving while the last one\'s writers resume', async (t) => {
  const db = await database(t);
  const writer = new BatchWriter(db, { maxOps: 4 });
  const s = sublevel(db, 'reg');
  const order: string[] = [];
  // Three writes of 3 operations each: with maxOps 4 no two fit in one batch.
  const writes = [0, 1, 2].map((w) => writer.write([0, 1, 2].map((i): BatchOp => ({ type: 'put', sublevel: s, key: `k${i}`, value: w }))).then(() => order.push(`w${w}`)));
  // A write issued when the first commits lands after it (same keys: the later value wins).
  let batchesWhenW0Resumed = 0;
  void writes[0]!.then(() => {
    batchesWhenW0Resumed = writer.stats.batches;
    return writer.write([{ type: 'put', sublevel: s, key: 'k0', value: 'last' }]).then(() => order.push('late'));
  });
  await Promise.all(writes);
  await writer.flush();
  t.deepEqual(order, ['w0', 'w1', 'w2', 'late']);
  t.is(batchesWhenW0Resumed, 2, 'w1 went to LevelDB before the writers of w0 resumed');
  // [w0], [w1], [w2 + the late write]: it was queued while w1 was being committed.
  t.deepEqual(writer.stats, { batches: 3, ops: 10 });
  t.is(await s.get('k0'), 'last');
  t.is(await s.get('k1'), 2);
});

test('the native batch is reused commit after commit and made again after the database reopens', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-bw-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const db = await openDatabase(dir);
  // Counts the native batches the writer asks for.
  const native = db as unknown as { _chainedBatch(): unknown };
  const make = native._chainedBatch.bind(db);
  let made = 0;
  native._chainedBatch = () => {
    made++;
    return make();
  };
  const writer = new BatchWriter(db);
  const s = sublevel(db, 'reg');
  // Each commit starts from an empty batch: a value written around the writer in between is not
  // overwritten by a replay of the previous commit.
  await writer.write([{ type: 'put', sublevel: s, key: 'a', value: 1 }]);
  await s.put('a', 'changed elsewhere');
  await writer.write([{ type: 'put', sublevel: s, key: 'b', value: 2 }]);
  t.is(await s.get('a'), 'changed elsewhere');
  await s.del('a');
  t.deepEqual(await raw(db), [[`${s.prefix}b`, '2']]);
  t.is(made, 1, 'one native batch for the three commits');
  await db.close();
  await db.open();
  await writer.write([{ type: 'put', sublevel: s, key: 'c', value: 3 }]);
  t.deepEqual(await raw(db), [[`${s.prefix}b`, '2'], [`${s.prefix}c`, '3']]);
  t.is(made, 2, 'a new one after the reopen');
  await db.close();
});
