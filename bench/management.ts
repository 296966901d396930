import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { LightDevice, RESOURCE } from './management-devices.js';
import { ask as askChild, forkServer } from './registration-load.js';
import type { Cpu, ServerCommand, ServerReply } from './management-server.js';

/**
 * Device management throughput (issue "Device management"): the server runs in its own
 * process (bench/management-server.ts, LevelDB store); this process is the load: N lightweight
 * devices on raw dgram sockets (bench/management-devices.ts: a real Register, canned 2.05
 * answers, pre-generated notification datagrams), as cheap per datagram as the echo server.
 * Measured, each for a bounded time:
 *
 *  1. server-initiated Reads/s, driven by a bench-only driver inside the server process
 *     (`server.manager.run`, one closed loop per device): encode, CoAP exchange, decode (text),
 *     object store write — no HTTP client in the way. The same reads through the HTTP API
 *     (64 concurrent keep-alive requests) are reported too.
 *  2. notifications ingested per second: each device is observed for real (the server sends
 *     GET Observe=0 with a token, asking for SenML CBOR), then sends CON notifications with that
 *     token, the next as soon as the previous is ACKed. Counted when the server has decoded them
 *     (SenML CBOR), written them to the LevelDB object store and emitted `notification`.
 *  3. the ceiling: raw UDP round trips/s between this process and a Node echo server process,
 *     with the same number of sockets and closed loops, measured before and after the server
 *     phases; ratios are to the mean of the two (the machine is shared: its load moves);
 *  4. the stack floor: phases 1 and 2 against bench/stack-floor-server.ts, the least a durable
 *     server can do per read and per notification on coap-packet + cbor-x + LevelDB (none of
 *     our code), so the table shows how much of the distance to the ceiling is the stack.
 * It also prints the server process's CPU per read and per notification (all threads, and the
 * main thread alone on Linux) and the LevelDB batch sizes: steadier than rates when other jobs
 * share the machine. BENCH_PROF=<dir> writes a CPU profile of each server phase.
 */
export interface ManagementBenchRow {
  name: string;
  ops: number;
  seconds: number;
  perSecond: number;
  ratio: number;
}

export interface ManagementBenchOptions {
  devices?: number;
  phaseMs?: number;
  log?: (line: string) => void;
}



/** A command to the bench server process and its answer (at most 30 s). */
function ask(child: ChildProcess, cmd: ServerCommand, timeoutMs = 30_000): Promise<ServerReply> {
  return askChild<ServerReply>(child, cmd, timeoutMs);
}

/** BENCH_PROF=<dir>: the server process writes one CPU profile per phase there (reads, notify). */
const profDir = process.env.BENCH_PROF;
async function profiled<T>(server: ChildProcess, phase: string, body: () => Promise<T>): Promise<T> {
  if (!profDir) return body();
  await ask(server, { type: 'profile-start' });
  try {
    return await body();
  } finally {
    await ask(server, { type: 'profile-stop', file: `${profDir}/${phase}.cpuprofile` });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Closed-loop UDP round trips from `sockets` sockets to an echo server for `ms`. */
async function udpCeiling(port: number, sockets: number, ms: number): Promise<{ ops: number; seconds: number }> {
  const payload = Buffer.alloc(24, 0x55); // about the size of a small notification
  const socks = await Promise.all(
    Array.from({ length: sockets }, () => new Promise<dgram.Socket>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1', () => resolve(s));
    })),
  );
  let ops = 0;
  let running = true;
  const start = Date.now();
  for (const s of socks) {
    s.on('message', () => {
      ops++;
      if (running) s.send(payload, port, '127.0.0.1');
    });
    s.send(payload, port, '127.0.0.1');
  }
  await sleep(ms);
  running = false;
  const seconds = (Date.now() - start) / 1000;
  await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return { ops, seconds };
}

/** Reads through the HTTP API, `concurrency` requests in flight, for `ms`. */
async function httpReads(url: string, token: string, endpoints: string[], concurrency: number, ms: number): Promise<{ ops: number; failed: number; seconds: number }> {
  const start = Date.now();
  const end = start + ms;
  let ops = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = w; Date.now() < end; i += concurrency) {
        const ep = endpoints[i % endpoints.length]!;
        const res = await fetch(`${url}/api/v1/devices/${ep}/objects/3303/0/5700`, { headers: { authorization: `Bearer ${token}` } });
        await res.arrayBuffer();
        if (res.status === 200) ops++;
        else failed++;
      }
    }),
  );
  return { ops, failed, seconds: (Date.now() - start) / 1000 };
}

async function echoCeiling(sockets: number, ms: number): Promise<{ ops: number; seconds: number }> {
  const echo = await forkServer<{ type: 'ready'; port: number }>('./udp-echo.js');
  try {
    return await udpCeiling(echo.ready.port, sockets, ms);
  } finally {
    echo.child.disconnect();
  }
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

interface ServerFigures {
  regSeconds: number;
  reads: Extract<ServerReply, { type: 'reads-done' }>;
  viaHttp: { ops: number; failed: number; seconds: number } | undefined;
  counted: Extract<ServerReply, { type: 'count' }>;
  notifySeconds: number;
  sent: number;
  acked: number;
  resent: number;
  resets: number;
}

/**
 * One server process (`file`: ours, or the stack floor) through the phases: `n` devices register,
 * server-initiated reads, reads through the HTTP API (ours only), observe, CON notifications.
 */
async function measure(file: string, n: number, phaseMs: number, log: (line: string) => void, opts: { http: boolean; profile: boolean }): Promise<ServerFigures> {
  const { child: server, ready } = await forkServer<Extract<ServerReply, { type: 'ready' }>>(file);
  const devices: LightDevice[] = [];
  let resender: NodeJS.Timeout | undefined;
  const maybeProfiled = <T>(phase: string, body: () => Promise<T>): Promise<T> => (opts.profile ? profiled(server, phase, body) : body());
  try {
    const t0 = Date.now();
    for (let i = 0; i < n; i++) devices.push(await LightDevice.open({ server: { address: '127.0.0.1', port: ready.coapPort }, endpoint: `bench-${i}` }));
    await inBatches(devices, 50, (d) => d.register());
    const regSeconds = (Date.now() - t0) / 1000;
    const endpoints = devices.map((d) => d.endpoint);

    // 1. Reads, in-server driver.
    const reads = await maybeProfiled('reads', () => ask(server, { type: 'reads', endpoints, path: RESOURCE, durationMs: phaseMs }, phaseMs + 30_000));
    if (reads.type !== 'reads-done') throw new Error('unexpected answer');
    if (reads.firstError) log(`first read failure: ${reads.firstError}`);
    // 1b. The same through the HTTP API.
    const viaHttp = opts.http ? await httpReads(ready.httpUrl, ready.token, endpoints, 64, phaseMs) : undefined;

    // 2. Notifications: the server observes every device (SenML CBOR), then they notify in closed loops.
    const observed = await ask(server, { type: 'observe', endpoints, path: RESOURCE, format: 112 }, 60_000);
    if (observed.type !== 'observed') throw new Error('unexpected answer');
    if (observed.failed > 0) throw new Error(`${observed.failed} observations failed: ${observed.firstError}`);
    const notifying = devices.filter((d) => d.observed);
    if (notifying.length !== n) throw new Error(`only ${notifying.length} of ${n} devices hold an observation`);
    await ask(server, { type: 'count-start' });
    if (opts.profile && profDir) await ask(server, { type: 'profile-start' });
    const start = Date.now();
    for (const d of notifying) d.startNotifying(true);
    resender = setInterval(() => {
      const now = Date.now();
      for (const d of notifying) d.resendStale(now, 1000);
    }, 250);
    await sleep(phaseMs);
    for (const d of notifying) d.stopNotifying();
    clearInterval(resender);
    // Wait until the server has stored what it received (bounded).
    let last = -1;
    let counted: Extract<ServerReply, { type: 'count' }> = { type: 'count', count: 0, firstAt: start, lastAt: start, stored: 0, cpu: { processMs: 0, mainThreadMs: 0, batches: 0, batchOps: 0 } };
    for (let i = 0; i < 100; i++) {
      await sleep(100);
      const r = await ask(server, { type: 'count-get' });
      if (r.type === 'count') counted = r;
      if (counted.count === last) break;
      last = counted.count;
    }
    const notifySeconds = (counted.lastAt - start) / 1000;
    if (opts.profile && profDir) await ask(server, { type: 'profile-stop', file: `${profDir}/notify.cpuprofile` });
    const sum = (f: (d: LightDevice) => number): number => notifying.reduce((a, d) => a + f(d), 0);
    return { regSeconds, reads, viaHttp, counted, notifySeconds, sent: sum((d) => d.sent), acked: sum((d) => d.acked), resent: sum((d) => d.resent), resets: sum((d) => d.resets) };
  } finally {
    if (resender) clearInterval(resender);
    await Promise.all(devices.map((d) => d.close()));
    if (!server.killed) server.kill('SIGTERM');
  }
}

export async function run(opts: ManagementBenchOptions = {}): Promise<ManagementBenchRow[]> {
  const n = Math.min(opts.devices ?? 200, 1000);
  const phaseMs = Math.min(opts.phaseMs ?? 4000, 10_000);
  const log = opts.log ?? console.log;
  const rows: ManagementBenchRow[] = [];
  const loadAtStart = loadavg()[0]!;

  // 3. The ceiling first, while nothing else of ours runs (and again at the end).
  const ceilingBefore = await echoCeiling(n, phaseMs);
  const ours = await measure('./management-server.js', n, phaseMs, log, { http: true, profile: true });
  // The stack floor (bench/stack-floor-server.ts): the same phases against the least a durable
  // server can do on coap-packet + cbor-x + LevelDB, none of our code.
  const floor = await measure('./stack-floor-server.js', n, phaseMs, log, { http: false, profile: false });
  const ceilingAfter = await echoCeiling(n, phaseMs);
  const ceilingRate = (ceilingBefore.ops / ceilingBefore.seconds + ceilingAfter.ops / ceilingAfter.seconds) / 2;

  const row = (name: string, ops: number, seconds: number): ManagementBenchRow => ({ name, ops, seconds, perSecond: ops / seconds, ratio: ops / seconds / ceilingRate });
  const { reads, viaHttp, counted } = ours;
  rows.push(row('UDP round trips (ceiling, echo process), before', ceilingBefore.ops, ceilingBefore.seconds));
  rows.push(row('UDP round trips (ceiling, echo process), after', ceilingAfter.ops, ceilingAfter.seconds));
  rows.push(row('Reads, server-initiated (in-server driver)', reads.ok, reads.ms / 1000));
  rows.push(row('Reads through the HTTP API (64 in flight)', viaHttp?.ops ?? 0, viaHttp?.seconds ?? 1));
  rows.push(row('Notifications (CON, SenML CBOR) decoded + stored in LevelDB', counted.count, ours.notifySeconds));
  rows.push(row('stack floor: Reads (minimal server on coap-packet + LevelDB, no LwM2M logic)', floor.reads.ok, floor.reads.ms / 1000));
  rows.push(row('stack floor: Notifications decoded (cbor-x) + stored', floor.counted.count, floor.notifySeconds));
  log(`\nDevice management, ${n} lightweight devices (load process) vs server process (LevelDB store); ${phaseMs / 1000} s per phase; ${cpus().length} cores, load ${loadAtStart.toFixed(1)} at start, ${loadavg().map((l) => l.toFixed(1)).join(' ')} at end`);
  log(`registration of ${n} devices: ${ours.regSeconds.toFixed(2)} s; read failures: ${reads.failed} in-server, ${viaHttp?.failed ?? 0} via HTTP; notifications sent ${ours.sent}, ACKed ${ours.acked}, re-sent ${ours.resent}, RST ${ours.resets}, stored ${counted.count} (${counted.stored} values); stack floor: notifications sent ${floor.sent}, ACKed ${floor.acked}, stored ${floor.counted.count}; ceiling = mean of before/after = ${Math.round(ceilingRate)}/s\n`);
  // CPU per operation is steadier than rates on a shared machine.
  const us = (ms: number, ops: number): string => (ops > 0 && ms >= 0 ? ((1000 * ms) / ops).toFixed(1) : '-');
  const perOp = (c: Cpu, ops: number): string =>
    `${us(c.processMs, ops)} µs (main thread ${us(c.mainThreadMs, ops)} µs; ${c.batches > 0 ? (ops / c.batches).toFixed(1) : '-'} operations and ${c.batches > 0 ? (c.batchOps / c.batches).toFixed(1) : '-'} LevelDB writes per batch)`;
  log(`server process CPU per operation: per read ${perOp(reads.cpu, reads.ok)}; per notification ${perOp(counted.cpu, counted.count)}`);
  log(`stack floor process CPU per operation: per read ${us(floor.reads.cpu.processMs, floor.reads.ok)} µs; per notification ${us(floor.counted.cpu.processMs, floor.counted.count)} µs\n`);
  log('| measurement | ops | seconds | ops/s | ratio to ceiling | target |');
  log('|---|---:|---:|---:|---:|---:|');
  const ofFloor = (r: ManagementBenchRow, f: ManagementBenchRow): string => `; ${(r.perSecond / f.perSecond).toFixed(2)} of the stack floor`;
  const targets = ['', '', `≥ 0.5x${ofFloor(rows[2]!, rows[5]!)}`, '', `≥ 0.7x${ofFloor(rows[4]!, rows[6]!)}`, '', ''];
  rows.forEach((r, i) => log(`| ${r.name} | ${r.ops} | ${r.seconds.toFixed(2)} | ${Math.round(r.perSecond)} | ${r.ratio.toFixed(2)}x | ${targets[i]} |`));
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const devices = process.argv[2] ? Number(process.argv[2]) : undefined;
  run(devices ? { devices } : {}).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
