import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../src/server.js';

/**
 * The server side of the registration, memory and restart benchmarks, in its own process
 * (forked with IPC, `--expose-gc` for the memory figures): the real server with the durable
 * LevelDB store, protection off (the load comes from one address), no DTLS, bootstrap or HTTP.
 * `BENCH_DATA` names a data folder to keep (restart benchmark); else a temporary one is removed.
 */
export type RegServerCommand =
  | { type: 'mem' }
  | { type: 'count' }
  | { type: 'fill-observations'; perDevice: number };

export type RegServerReply =
  | { type: 'ready'; coapPort: number; startMs: number; registrations: number; observations: number }
  | { type: 'mem'; heapUsed: number; rss: number }
  | { type: 'count'; registrations: number }
  | { type: 'filled'; observations: number; ms: number };

const keep = process.env['BENCH_DATA'];
const dataDir = keep ?? (await mkdtemp(path.join(tmpdir(), 'lwm2m-bench-reg-')));
const t0 = performance.now();
const server = await startServer({ dataDir, storage: 'level', coap: { host: '127.0.0.1', port: 0 }, http: { enabled: false }, dtls: { enabled: false }, bootstrap: { enabled: false }, protection: { enabled: false }, logLevel: 'warn' });
const startMs = performance.now() - t0;
const reply = (m: RegServerReply): void => void process.send?.(m);

function mem(): { heapUsed: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Several passes: the first frees young objects, the later ones what they held.
  for (let i = 0; i < 3; i++) gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

/** Observations written to the store as the server writes them after a 2.05 to Observe (token, paths, peer). */
async function fill(perDevice: number): Promise<void> {
  const t = performance.now();
  const regs = await server.stores.registrations.list();
  let n = 0;
  for (let i = 0; i < regs.length; i += 500) {
    await Promise.all(
      regs.slice(i, i + 500).flatMap((r) =>
        Array.from({ length: perDevice }, (_, k) => {
          n++;
          return server.stores.observations.add({ token: `${r.id.slice(0, 10)}${k.toString(16).padStart(2, '0')}`.padEnd(16, '0'), endpoint: r.endpoint, registrationId: r.id, paths: [k === 0 ? '/3303/0/5700' : `/3303/0/${5600 + k}`], composite: false, accept: 112, peer: r.address, createdAt: Date.now(), lastSequence: 1 });
        }),
      ),
    );
  }
  reply({ type: 'filled', observations: n, ms: performance.now() - t });
}

process.on('message', (m: RegServerCommand) => {
  if (m.type === 'mem') reply({ type: 'mem', ...mem() });
  else if (m.type === 'count') void server.stores.registrations.list().then((l) => reply({ type: 'count', registrations: l.length }));
  else if (m.type === 'fill-observations') void fill(m.perDevice);
});

const stop = async (): Promise<void> => {
  await server.stop();
  if (keep === undefined) await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());

const [regs, obs] = process.env['BENCH_COUNT_AT_START'] === '1' ? await Promise.all([server.stores.registrations.list(), server.stores.observations.list()]) : [[], []];
reply({ type: 'ready', coapPort: server.coapAddress().port, startMs, registrations: regs.length, observations: obs.length });
