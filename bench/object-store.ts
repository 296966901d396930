import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../src/log.js';
import { BatchWriter } from '../src/store/batch-writer.js';
import { openDatabase } from '../src/store/level-db.js';
import { LevelObjectStore } from '../src/store/object-store-level.js';
import { MemoryObjectStore } from '../src/store/object-store-memory.js';
import type { ObjectStore, StoredValue } from '../src/store/types.js';

/*
 * Object store throughput and query latency. Ingest is put() of ONE value per call, as the
 * notification path does, with up to WINDOW calls in flight (notifications of one event-loop
 * turn), for 1,000 endpoints x 10 paths round-robin. The memory store is the baseline measured
 * in the same run; the target is 0.7 x 20k values/s. Every loop is bounded in count and time.
 */
const ENDPOINTS = 1000;
const PATHS = ['/3303/0/5700', '/3303/0/5601', '/3303/0/5602', '/3304/0/5700', '/3/0/7', '/3/0/9', '/3/0/10', '/3/0/11/0', '/6/0/0', '/6/0/1'];
const WINDOW = 1000;
const TARGET = 14_000;
const T0 = 1_700_000_000_000;

interface Row {
  case: string;
  values: number;
  seconds: number;
  perSecond: number;
}

function sample(i: number): StoredValue {
  const t = T0 + i;
  return {
    endpoint: `urn:dev:${(i % ENDPOINTS).toString().padStart(6, '0')}`,
    path: PATHS[Math.floor(i / ENDPOINTS) % PATHS.length] as string,
    value: { type: 'float', value: 20 + (i % 100) / 10 },
    time: t,
    receivedAt: t,
    source: 'notify',
  };
}

async function ingest(name: string, store: ObjectStore, maxValues: number, maxMs: number, perCall = 1, window = WINDOW): Promise<Row> {
  const start = performance.now();
  let i = 0;
  while (i < maxValues && performance.now() - start < maxMs) {
    const calls: Promise<void>[] = [];
    for (let c = 0; c < window && i < maxValues; c++) {
      const batch: StoredValue[] = [];
      for (let k = 0; k < perCall; k++) batch.push(sample(i++));
      calls.push(store.put(batch));
    }
    await Promise.all(calls);
  }
  const seconds = (performance.now() - start) / 1000;
  return { case: name, values: i, seconds, perSecond: i / seconds };
}

async function latency(name: string, n: number, maxMs: number, fn: (i: number) => Promise<unknown>): Promise<{ case: string; n: number; p50: number; p99: number }> {
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n && performance.now() - start < maxMs; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { case: name, n: times.length, p50: at(0.5), p99: at(0.99) };
}

async function withLevel<T>(fn: (store: LevelObjectStore, writer: BatchWriter) => Promise<T>, maxEntries = 100): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-bench-obj-'));
  const db = await openDatabase(dir);
  const writer = new BatchWriter(db);
  const store = await LevelObjectStore.open(db, writer, { retention: { maxEntries }, logger: silentLogger() });
  try {
    return await fn(store, writer);
  } finally {
    await store.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const rows: Row[] = [];
  const memory = new MemoryObjectStore();
  rows.push(await ingest('memory, 1 value/put (baseline)', memory, 200_000, 600));
  const queries: { case: string; n: number; p50: number; p99: number }[] = [];

  await withLevel(async (store, writer) => {
    rows.push(await ingest('level, 1 value/put', store, 120_000, 1800));
    const stats = writer.stats;
    console.log(`level writer: ${stats.batches} batches, ${(stats.ops / Math.max(1, stats.batches)).toFixed(0)} ops/batch`);
    rows.push(await ingest('level, 10 values/put', store, 60_000, 500, 10, 100));
    rows.push(await ingest('level, 1 value/put, awaited one by one', store, 3_000, 400, 1, 1));
    const ep = (i: number) => `urn:dev:${((i * 7919) % ENDPOINTS).toString().padStart(6, '0')}`;
    queries.push(await latency('history(ep, path, {limit: 10})', 500, 400, (i) => store.history(ep(i), PATHS[i % PATHS.length] as string, { limit: 10 })));
    queries.push(await latency('history(ep, path) (all, <=100)', 300, 300, (i) => store.history(ep(i), PATHS[i % PATHS.length] as string)));
    queries.push(await latency('latest(ep)', 500, 300, (i) => store.latest(ep(i))));
    queries.push(await latency('latestAcross(/3303/*/5700, limit 100)', 50, 300, () => store.latestAcross('/3303/*/5700', { limit: 100 })));
  });
  // Each path gets more than maxEntries values here, so the history trims run on the write path.
  await withLevel(async (store) => {
    rows.push(await ingest('level, 1 value/put, maxEntries 5 (trimming)', store, 100_000, 1000));
  }, 5);

  const base = rows[0]?.perSecond ?? 1;
  // Figures from a busy machine are not comparable: say how busy it was.
  console.log(`\nmachine: ${availableParallelism()} CPUs, load average (1 min) ${loadavg()[0]?.toFixed(2)} at the end`);
  console.log('\nObject store ingest (1,000 endpoints x 10 paths, history kept)');
  console.table(rows.map((r) => ({ case: r.case, values: r.values, seconds: r.seconds.toFixed(2), 'values/s': Math.round(r.perSecond), 'vs memory': (r.perSecond / base).toFixed(2), [`vs target ${TARGET}/s`]: (r.perSecond / TARGET).toFixed(2) })));
  console.log('Object store queries (level)');
  console.table(queries.map((q) => ({ case: q.case, n: q.n, 'p50 ms': q.p50.toFixed(3), 'p99 ms': q.p99.toFixed(3) })));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
