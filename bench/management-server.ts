import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../src/server.js';
import { procCpuMs } from './proc-cpu.js';

/**
 * The server side of bench/management.ts, in its own process (forked, with IPC): the real
 * server on ephemeral ports with a LevelDB store (`storage: 'level'`, durable as in production),
 * plus a bench-only driver that
 *  - runs Reads in-process through `server.manager.run` (so the read rate measures the
 *    LwM2M/CoAP stack — build request, CoAP exchange, decode, object store — not an HTTP
 *    client), one closed loop per device: CoAP's NSTART = 1 allows one outstanding request per
 *    peer anyway, so concurrency is bounded by the number of devices;
 *  - establishes observations through `server.dispatcher.submit` (a real GET Observe=0 to each
 *    device, asking for SenML CBOR), bounded to 25 at a time;
 *  - counts notifications once decoded and stored (the `notification` event is emitted after
 *    the object store write).
 */
/**
 * Bounds below the stack floor (bench/stack-floor-server.ts), for notifications and reads: the
 * exchange only (raw bytes), or the exchange and one raw LevelDB put.
 */
export type FloorBound = 'ack' | 'put';

export type ServerCommand =
  /** `bound` (the stack floor's process only): reads through one of its bounds. */
  | { type: 'reads'; endpoints: string[]; path: string; durationMs: number; bound?: FloorBound }
  | { type: 'observe'; endpoints: string[]; path: string; format: number }
  /**
   * `bound` (the stack floor's process only): count the next notifications through one of the
   * bounds of bench/stack-floor-server.ts instead of the floor itself.
   */
  | { type: 'count-start'; bound?: FloorBound }
  | { type: 'count-get' }
  /** Bench profiling (BENCH_PROF): a CPU profile of one phase, written to `file`. */
  | { type: 'profile-start' }
  | { type: 'profile-stop'; file: string };

export type ServerReply =
  | { type: 'ready'; coapPort: number; httpUrl: string; token: string }
  /** `cpu`: this process's CPU time over the phase (see Cpu). */
  | { type: 'reads-done'; ok: number; failed: number; ms: number; cpu: Cpu; firstError?: string }
  | { type: 'observed'; ok: number; failed: number; firstError?: string }
  | { type: 'count'; count: number; firstAt: number; lastAt: number; stored: number; cpu: Cpu }
  | { type: 'profiled' };

const dataDir = await mkdtemp(path.join(tmpdir(), 'lwm2m-bench-'));
const server = await startServer({ dataDir, storage: 'level', coap: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, dtls: { enabled: false }, bootstrap: { enabled: false }, logLevel: 'warn' });
const reply = (m: ServerReply): void => void process.send?.(m);

let counting = false;
let count = 0;
let stored = 0;
let firstAt = 0;
let lastAt = 0;
/**
 * CPU ms (user + system): the whole process (LevelDB's threads too) and, on Linux, the main
 * thread alone (-1 elsewhere); and the LevelDB batches written meanwhile (one per commit).
 */
export interface Cpu {
  processMs: number;
  mainThreadMs: number;
  batches: number;
  batchOps: number;
}
interface CpuMark {
  usage: NodeJS.CpuUsage;
  mainMs: number;
  batches: { batches: number; ops: number };
}
/** The main thread's CPU from /proc (task id = process id); -1 without /proc. */
const mainThreadMs = (): number => procCpuMs(`/proc/self/task/${process.pid}/stat`) ?? -1;
const batchStats = (): { batches: number; ops: number } => server.stores.level?.writer.stats ?? { batches: 0, ops: 0 };
const cpuMark = (): CpuMark => ({ usage: process.cpuUsage(), mainMs: mainThreadMs(), batches: batchStats() });
const cpuSince = (start: CpuMark): Cpu => {
  const d = process.cpuUsage(start.usage);
  const main = mainThreadMs();
  const b = batchStats();
  return { processMs: (d.user + d.system) / 1000, mainThreadMs: main < 0 || start.mainMs < 0 ? -1 : main - start.mainMs, batches: b.batches - start.batches.batches, batchOps: b.ops - start.batches.ops };
};
let countCpu = cpuMark();
server.events.on('notification', (e) => {
  if (!counting) return;
  lastAt = Date.now();
  stored += e.values.length;
  if (count++ === 0) firstAt = lastAt;
});

async function reads(endpoints: string[], p: string, durationMs: number): Promise<void> {
  const start = Date.now();
  const cpu = cpuMark();
  const end = start + durationMs;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  await Promise.all(
    endpoints.map(async (ep) => {
      while (Date.now() < end) {
        const r = await server.manager.run(ep, { op: 'read', path: p }, { timeoutMs: 5000 });
        if (r.ok && r.values?.length === 1) ok++;
        else {
          failed++;
          firstError ??= JSON.stringify(r);
        }
      }
    }),
  );
  reply({ type: 'reads-done', ok, failed, ms: Date.now() - start, cpu: cpuSince(cpu), ...(firstError ? { firstError } : {}) });
}

async function observe(endpoints: string[], p: string, format: number): Promise<void> {
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  for (let i = 0; i < endpoints.length; i += 25) {
    await Promise.all(
      endpoints.slice(i, i + 25).map(async (ep) => {
        const s = await server.dispatcher.submit(ep, { op: 'observe', path: p, format }, { timeoutMs: 5000 });
        if (!s.queued && s.result.ok) ok++;
        else {
          failed++;
          firstError ??= JSON.stringify(s);
        }
      }),
    );
  }
  reply({ type: 'observed', ok, failed, ...(firstError ? { firstError } : {}) });
}

let session: Session | undefined;
async function profile(m: Extract<ServerCommand, { type: 'profile-start' | 'profile-stop' }>): Promise<void> {
  if (m.type === 'profile-start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  } else if (session) {
    const { profile: p } = await session.post('Profiler.stop');
    await writeFile(m.file, JSON.stringify(p));
    session.disconnect();
    session = undefined;
  }
  reply({ type: 'profiled' });
}

process.on('message', (m: ServerCommand) => {
  if (m.type === 'profile-start' || m.type === 'profile-stop') void profile(m);
  else if (m.type === 'reads') void reads(m.endpoints, m.path, m.durationMs);
  else if (m.type === 'observe') void observe(m.endpoints, m.path, m.format);
  else if (m.type === 'count-start') {
    counting = true;
    count = 0;
    stored = 0;
    countCpu = cpuMark();
    reply({ type: 'count', count, firstAt, lastAt, stored, cpu: cpuSince(countCpu) });
  } else if (m.type === 'count-get') reply({ type: 'count', count, firstAt, lastAt, stored, cpu: cpuSince(countCpu) });
});

const stop = async (): Promise<void> => {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());

reply({ type: 'ready', coapPort: server.coapAddress().port, httpUrl: server.httpUrl()!, token: server.adminToken() });
