import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RegServerReply } from './registrations-server.js';
import { ask, closedLoop, forkServer, registerRequest, stopChild } from './registration-load.js';

/**
 * Restart: a server process registers 100,000 devices (raw load) and holds one observation
 * each (written to its observation store, as after a 2.05 to Observe); it stops cleanly; a new
 * server process on the same LevelDB folder is timed from `startServer` until it listens, and
 * then counts what it reloaded. The baseline is the start-up of the same server on an empty folder.
 */
const DEVICES = 100_000;
const TARGET_MS = 3000;

type Ready = Extract<RegServerReply, { type: 'ready' }>;

export async function run(opts: { log?: (line: string) => void } = {}): Promise<{ emptyMs: number; fullMs: number; registrations: number; observations: number }> {
  const log = opts.log ?? console.log;
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-bench-restart-'));
  try {
    const first = await forkServer<Ready>('./registrations-server.js', { env: { BENCH_DATA: dir } });
    const emptyMs = first.ready.startMs;
    const r = await closedLoop({ port: first.ready.coapPort, sockets: 32, ms: 240_000, make: (i) => (i < DEVICES ? registerRequest(`rs-${i}`) : undefined), expect: '2.01' });
    if (r.ok !== DEVICES) throw new Error(`restart bench: only ${r.ok} of ${DEVICES} registered (${r.firstError ?? ''})`);
    const filled = await ask<Extract<RegServerReply, { type: 'filled' }>>(first.child, { type: 'fill-observations', perDevice: 1 }, 240_000);
    await stopChild(first.child);
    const second = await forkServer<Ready>('./registrations-server.js', { env: { BENCH_DATA: dir, BENCH_COUNT_AT_START: '1' } });
    await stopChild(second.child);
    const full = second.ready;
    log(`${DEVICES} registrations (filled at ${Math.round(r.perSecond)}/s) and ${filled.observations} observations in LevelDB; time from startServer() to listening\n`);
    log('| server start | registrations | observations | ms | target |');
    log('|---|---:|---:|---:|---|');
    log(`| empty data folder (baseline) | 0 | 0 | ${Math.round(emptyMs)} | |`);
    log(`| restart with ${DEVICES} devices | ${full.registrations} | ${full.observations} | ${Math.round(full.startMs)} | <= ${TARGET_MS} ms ${full.startMs <= TARGET_MS && full.registrations === DEVICES ? 'met' : 'MISSED'} |`);
    return { emptyMs, fullMs: full.startMs, registrations: full.registrations, observations: full.observations };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
