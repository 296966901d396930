import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ModelRegistry } from '../src/model/registry.js';
import { Fleet } from '../src/sim/fleet.js';
import type { ServerCommand, ServerReply } from './management-server.js';

/**
 * Device management throughput (issue "Device management"): the server runs in its own
 * process (bench/management-server.ts); this process is the load: N simulated devices on real
 * sockets. Measured, each for a bounded time:
 *
 *  1. server-initiated Reads/s. Driven by a bench-only driver inside the server process
 *     (`server.manager.run`), one closed loop per device: this measures the server's LwM2M/CoAP
 *     path (encode, send, match, decode, store) with no HTTP client in the way. The same
 *     reads through the HTTP API (64 concurrent keep-alive requests) are reported too.
 *  2. notifications decoded and stored per second: every device is observed through the API,
 *     then notifies as fast as CoAP allows (CON, the next one as soon as the previous is ACKed).
 *  3. the ceiling: raw UDP round trips/s between this process and a Node echo server process,
 *     with the same number of sockets and closed loops.
 *
 * Ratios are to the ceiling, measured in the same run on the same machine.
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

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

function forkReady<T extends { type: string }>(file: string): Promise<{ child: ChildProcess; ready: T }> {
  const child = fork(here(file), [], { execArgv: process.env.BENCH_PROF && file.includes('server') ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start in 15 s`)), 15_000);
    child.once('message', (m: T) => {
      clearTimeout(timer);
      resolve({ child, ready: m });
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

function ask(child: ChildProcess, cmd: ServerCommand, timeoutMs = 30_000): Promise<ServerReply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${cmd.type}`)), timeoutMs);
    child.once('message', (m: ServerReply) => {
      clearTimeout(timer);
      resolve(m);
    });
    child.send(cmd);
  });
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

export async function run(opts: ManagementBenchOptions = {}): Promise<ManagementBenchRow[]> {
  const n = Math.min(opts.devices ?? 200, 1000);
  const phaseMs = Math.min(opts.phaseMs ?? 4000, 10_000);
  const log = opts.log ?? console.log;
  const rows: ManagementBenchRow[] = [];

  // 3. The ceiling first, while nothing else runs.
  const echo = await forkReady<{ type: 'ready'; port: number }>('./udp-echo.js');
  const ceiling = await udpCeiling(echo.ready.port, n, phaseMs);
  echo.child.disconnect();
  const ceilingRate = ceiling.ops / ceiling.seconds;

  const { child: server, ready } = await forkReady<Extract<ServerReply, { type: 'ready' }>>('./management-server.js');
  const models = await ModelRegistry.builtin();
  let fleet: Fleet | undefined;
  try {
    const t0 = Date.now();
    fleet = await Fleet.start({
      server: { address: '127.0.0.1', port: ready.coapPort },
      models,
      count: n,
      prefix: 'bench-',
      concurrency: 50,
      device: { lwm2mVersion: '1.1', lifetime: 600, confirmableNotifications: true, requestTimeoutMs: 10_000 },
    });
    const regSeconds = (Date.now() - t0) / 1000;
    const endpoints = fleet.devices.map((d) => d.endpoint);

    // 1. Reads, in-server driver.
    const reads = await ask(server, { type: 'reads', endpoints, path: '/3303/0/5700', durationMs: phaseMs });
    if (reads.type !== 'reads-done') throw new Error('unexpected answer');
    // 1b. The same through the HTTP API.
    const viaHttp = await httpReads(ready.httpUrl, ready.token, endpoints, 64, phaseMs);

    // 2. Notifications: observe every device through the API, then notify in closed loops.
    for (let i = 0; i < endpoints.length; i += 25) {
      await Promise.all(
        endpoints.slice(i, i + 25).map(async (ep) => {
          const res = await fetch(`${ready.httpUrl}/api/v1/devices/${ep}/objects/3303/0/5700/observe`, { method: 'POST', headers: { authorization: `Bearer ${ready.token}` } });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`observe ${ep}: HTTP ${res.status}`);
        }),
      );
    }
    await ask(server, { type: 'count-start' });
    let running = true;
    let sent = 0;
    for (const d of fleet.devices) {
      let v = 20;
      const next = (): void => {
        if (!running) return;
        sent++;
        v = v >= 30 ? 20 : v + 0.25;
        d.setValue('/3303/0/5700', { type: 'float', value: v });
      };
      d.on('notified', () => next());
      next();
    }
    const start = Date.now();
    await sleep(phaseMs);
    running = false;
    // Wait until the server has stored what it received (bounded).
    let last = -1;
    let counted: Extract<ServerReply, { type: 'count' }> = { type: 'count', count: 0, firstAt: start, lastAt: start };
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      const r = await ask(server, { type: 'count-get' });
      if (r.type === 'count') counted = r;
      if (counted.count === last) break;
      last = counted.count;
    }
    const notifySeconds = (counted.lastAt - start) / 1000;

    const row = (name: string, ops: number, seconds: number): ManagementBenchRow => ({ name, ops, seconds, perSecond: ops / seconds, ratio: ops / seconds / ceilingRate });
    rows.push(row('UDP round trips (ceiling, echo process)', ceiling.ops, ceiling.seconds));
    rows.push(row('Reads, server-initiated (in-server driver)', reads.ok, reads.ms / 1000));
    rows.push(row('Reads through the HTTP API (64 in flight)', viaHttp.ops, viaHttp.seconds));
    rows.push(row('Notifications decoded + stored', counted.count, notifySeconds));
    log(`\nDevice management, ${n} simulated devices (load process) vs server process; ${phaseMs / 1000} s per phase; ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    log(`registration of ${n} devices: ${regSeconds.toFixed(2)} s; read failures: ${reads.failed} in-server, ${viaHttp.failed} via HTTP; notifications sent ${sent}, stored ${counted.count}\n`);
    log('| measurement | ops | seconds | ops/s | ratio to ceiling | target |');
    log('|---|---:|---:|---:|---:|---:|');
    const targets = ['', '≥ 0.5x', '', '≥ 0.7x'];
    rows.forEach((r, i) => log(`| ${r.name} | ${r.ops} | ${r.seconds.toFixed(2)} | ${Math.round(r.perSecond)} | ${r.ratio.toFixed(2)}x | ${targets[i]} |`));
    return rows;
  } finally {
    await fleet?.close();
    server.kill('SIGTERM');
  }
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
