import type { RegServerReply } from './registrations-server.js';
import { ask, closedLoop, forkServer, registerRequest, stopChild } from './registration-load.js';

/**
 * Memory per registered device: the server (its own process, LevelDB, `--expose-gc`) is filled
 * with 10,000 and then 100,000 registrations by the raw load generator; heap and RSS after
 * garbage collection, minus the figures before the first Register, divided by the count.
 * Registrations come from 32 sockets (the server keys them by endpoint; see registrations.ts).
 */
export interface MemoryRow {
  devices: number;
  heapPerDevice: number;
  rssPerDevice: number;
  seconds: number;
}

const STEPS = [10_000, 100_000];
const TARGET_HEAP_BYTES = 1536;

export async function run(opts: { log?: (line: string) => void } = {}): Promise<MemoryRow[]> {
  const log = opts.log ?? console.log;
  const { child, ready } = await forkServer<Extract<RegServerReply, { type: 'ready' }>>('./registrations-server.js', { execArgv: ['--expose-gc'] });
  const rows: MemoryRow[] = [];
  try {
    const base = await ask<Extract<RegServerReply, { type: 'mem' }>>(child, { type: 'mem' });
    let done = 0;
    for (const n of STEPS) {
      const r = await closedLoop({ port: ready.coapPort, sockets: 32, ms: 240_000, make: (i) => (done + i < n ? registerRequest(`mem-${done + i}`) : undefined), expect: '2.01' });
      done = n;
      const { registrations } = await ask<Extract<RegServerReply, { type: 'count' }>>(child, { type: 'count' });
      if (registrations !== n) throw new Error(`memory bench: ${registrations} registrations stored, expected ${n} (${r.firstError ?? ''})`);
      const m = await ask<Extract<RegServerReply, { type: 'mem' }>>(child, { type: 'mem' });
      rows.push({ devices: n, heapPerDevice: (m.heapUsed - base.heapUsed) / n, rssPerDevice: (m.rss - base.rss) / n, seconds: r.seconds });
    }
  } finally {
    await stopChild(child);
  }
  log(`baseline: the same server process before the first Register, after GC\n`);
  log('| registered devices | heap per device | RSS per device | target (heap, 100,000) |');
  log('|---:|---:|---:|---|');
  for (const r of rows) {
    const target = r.devices === 100_000 ? `<= 1.5 KB ${r.heapPerDevice <= TARGET_HEAP_BYTES ? 'met' : 'MISSED'}` : '';
    log(`| ${r.devices} | ${(r.heapPerDevice / 1024).toFixed(2)} KB | ${(r.rssPerDevice / 1024).toFixed(2)} KB | ${target} |`);
  }
  return rows;
}
