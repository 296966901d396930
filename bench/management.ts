import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { LightDevice, RESOURCE } from './management-devices.js';
import { ask as askChild, forkServer } from './registration-load.js';
import type { Cpu, FloorBound, ServerCommand, ServerReply } from './management-server.js';
import { processCpuMs } from './proc-cpu.js';
import { list, median } from './rounds.js';

/**
 * Device management throughput (issue "Device management"): the server runs in its own
 * process (bench/management-server.ts, LevelDB store); this process is the load: N lightweight
 * devices on raw dgram sockets (bench/management-devices.ts: a real Register, canned 2.05
 * answers, pre-generated notification datagrams), with little JavaScript per datagram beyond the
 * echo loops'; the CPU each side spends per operation is printed (CpuTally).
 * Measured, each for a bounded time:
 *
 *  1. server-initiated Reads/s, driven by a bench-only driver inside the server process
 *     (`server.manager.run`, one closed loop per device): encode, CoAP exchange, decode (text),
 *     object store write — no HTTP client in the way. The same reads through the HTTP API
 *     (64 concurrent requests on keep-alive connections, node:http) are reported too.
 *  2. notifications ingested per second: each device is observed for real (the server sends
 *     GET Observe=0 with a token, asking for SenML CBOR), then sends CON notifications with that
 *     token, the next as soon as the previous is ACKed. Counted when the server has decoded them
 *     (SenML CBOR), written them to the LevelDB object store and emitted `notification`.
 *  3. the ceiling: raw UDP round trips/s between this process and a Node echo server process,
 *     with the same number of sockets and closed loops;
 *  4. the stack floor: phases 1 and 2 against bench/stack-floor-server.ts, the least a durable
 *     server can do per read and per notification on coap-packet + cbor-x + LevelDB (none of
 *     our code), so the table shows how much of the distance to the ceiling is the stack;
 *  5. two bounds below the floor, in the floor's process: notifications ACKed from their raw
 *     bytes with no CoAP parse, no de-duplication and no decoding, kept with one raw LevelDB put
 *     each, and ACKed only. They show what is left for everything a server must do per
 *     notification once the transport and one durable write are paid for.
 * Interleaved: the echo, our server and the floor are started once and, after a warm-up, each
 * round measures the echo, our reads and notifications, the floor's and its bounds, one after
 * the other in short slices; the echo again starts the next round. A ratio is taken within its
 * round (to the mean of the echo slices around it) and the table reports the median round: on
 * shared cores the machine's speed drifts by a third within a minute, and slices seconds apart
 * see the same one.
 * It also prints the server process's CPU per read and per notification over all rounds (all
 * threads, and the main thread alone on Linux) and the LevelDB batch sizes: steadier than rates
 * when other jobs share the machine. BENCH_PROF=<dir> writes a CPU profile of our server's first
 * measured reads and notifications slices.
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
  /** Length of one measured slice (default 2 s). */
  phaseMs?: number;
  rounds?: number;
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

/** One GET on a keep-alive agent; resolves with the status once the body has been read. */
function httpGet(agent: http.Agent, url: URL, path: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Reads through the HTTP API, `concurrency` requests in flight on as many keep-alive
 * connections, for `ms`; with the server process's CPU per read (Linux). The client is
 * node:http, not fetch: fetch costs this process 400-900 µs per request, three to six times what
 * the server spends, so the row measured the client.
 */
async function httpReads(server: ChildProcess, base: string, token: string, endpoints: string[], concurrency: number, ms: number): Promise<{ ops: number; failed: number; seconds: number; serverUs: number }> {
  const cpu = new CpuTally();
  const r = await cpu.slice(server.pid, () => httpReadLoops(base, token, endpoints, concurrency, ms), (x) => x.ops);
  return { ...r, serverUs: cpu.server };
}

/** The request loops of httpReads: `concurrency` of them, each one request at a time. */
async function httpReadLoops(base: string, token: string, endpoints: string[], concurrency: number, ms: number): Promise<{ ops: number; failed: number; seconds: number }> {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const start = Date.now();
  const end = start + ms;
  let ops = 0;
  let failed = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        for (let i = w; Date.now() < end; i += concurrency) {
          const status = await httpGet(agent, url, `/api/v1/devices/${endpoints[i % endpoints.length]!}/objects/3303/0/5700`, token);
          if (status === 200) ops++;
          else failed++;
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return { ops, failed, seconds: (Date.now() - start) / 1000 };
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

type ReadsDone = Extract<ServerReply, { type: 'reads-done' }>;
type Counted = Extract<ServerReply, { type: 'count' }>;

/** One slice of notifications: what the server stored, over how long, and what the devices saw. */
interface NotifySlice {
  counted: Counted;
  seconds: number;
  sent: number;
  acked: number;
  resent: number;
  resets: number;
}

/**
 * A server process (`file`: ours, or the stack floor) with `n` registered devices, each observed
 * by the server (SenML CBOR), ready for slices of reads and notifications.
 */
async function openTarget(file: string, n: number) {
  const { child: server, ready } = await forkServer<Extract<ServerReply, { type: 'ready' }>>(file);
  const devices: LightDevice[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(devices.map((d) => d.close()));
    if (!server.killed) server.kill('SIGTERM');
  };
  try {
    const t0 = Date.now();
    for (let i = 0; i < n; i++) devices.push(await LightDevice.open({ server: { address: '127.0.0.1', port: ready.coapPort }, endpoint: `bench-${i}` }));
    await inBatches(devices, 50, (d) => d.register());
    const regSeconds = (Date.now() - t0) / 1000;
    const endpoints = devices.map((d) => d.endpoint);
    const observed = await ask(server, { type: 'observe', endpoints, path: RESOURCE, format: 112 }, 60_000);
    if (observed.type !== 'observed') throw new Error('unexpected answer');
    if (observed.failed > 0) throw new Error(`${observed.failed} observations failed: ${observed.firstError}`);
    if (devices.some((d) => !d.observed)) throw new Error(`only ${devices.filter((d) => d.observed).length} of ${n} devices hold an observation`);
    const reads = async (ms: number, bound?: FloorBound): Promise<ReadsDone> => {
      const r = await ask(server, bound === undefined ? { type: 'reads', endpoints, path: RESOURCE, durationMs: ms } : { type: 'reads', endpoints, path: RESOURCE, durationMs: ms, bound }, ms + 30_000);
      if (r.type !== 'reads-done') throw new Error('unexpected answer');
      return r;
    };
    /**
     * CON notifications from every device for `ms`, counted once the server has stored them
     * (`bound`: the stack floor's process counts them through one of its bounds instead).
     */
    const notify = async (ms: number, bound?: FloorBound): Promise<NotifySlice> => {
      const before = devices.map((d) => [d.sent, d.acked, d.resent, d.resets] as const);
      await ask(server, bound === undefined ? { type: 'count-start' } : { type: 'count-start', bound });
      const start = Date.now();
      for (const d of devices) d.startNotifying(true);
      const resender = setInterval(() => {
        const now = Date.now();
        for (const d of devices) d.resendStale(now, 1000);
      }, 250);
      try {
        await sleep(ms);
      } finally {
        for (const d of devices) d.stopNotifying();
        clearInterval(resender);
      }
      // Until the server has stored what it received (bounded).
      let last = -1;
      let counted: Counted = { type: 'count', count: 0, firstAt: start, lastAt: start, stored: 0, cpu: { processMs: 0, mainThreadMs: 0, batches: 0, batchOps: 0 } };
      for (let i = 0; i < 100; i++) {
        await sleep(100);
        const r = await ask(server, { type: 'count-get' });
        if (r.type === 'count') counted = r;
        if (counted.count === last) break;
        last = counted.count;
      }
      const delta = (k: 0 | 1 | 2 | 3): number => devices.reduce((a, d, i) => a + [d.sent, d.acked, d.resent, d.resets][k]! - before[i]![k], 0);
      return { counted, seconds: (counted.lastAt - start) / 1000, sent: delta(0), acked: delta(1), resent: delta(2), resets: delta(3) };
    };
    return { server, ready, endpoints, regSeconds, reads, notify, close };
  } catch (e) {
    await close();
    throw e;
  }
}

type Target = Awaited<ReturnType<typeof openTarget>>;

/**
 * CPU per operation of a server process and of this (load) process, summed over slices: from
 * /proc for the server (Linux; NaN elsewhere), process.cpuUsage() here. Both sides of one
 * two-core machine: a ratio to the echo is at most what the two processes together spend per
 * operation allows.
 */
class CpuTally {
  ops = 0;
  serverMs = 0;
  loadMs = 0;
  async slice<T>(pid: number | undefined, run: () => Promise<T>, ops: (r: T) => number): Promise<T> {
    const s0 = processCpuMs(pid);
    const l0 = process.cpuUsage();
    const r = await run();
    const l = process.cpuUsage(l0);
    this.ops += ops(r);
    this.serverMs += processCpuMs(pid) - s0;
    this.loadMs += (l.user + l.system) / 1000;
    return r;
  }
  /** Server and load CPU per operation (µs); NaN before any operation. */
  get server(): number {
    return this.ops > 0 ? (1000 * this.serverMs) / this.ops : NaN;
  }
  get load(): number {
    return this.ops > 0 ? (1000 * this.loadMs) / this.ops : NaN;
  }
}

const sumCpu = (cs: Cpu[]): Cpu => cs.reduce((a, c) => ({ processMs: a.processMs + c.processMs, mainThreadMs: a.mainThreadMs < 0 || c.mainThreadMs < 0 ? -1 : a.mainThreadMs + c.mainThreadMs, batches: a.batches + c.batches, batchOps: a.batchOps + c.batchOps }), { processMs: 0, mainThreadMs: 0, batches: 0, batchOps: 0 });

export async function run(opts: ManagementBenchOptions = {}): Promise<ManagementBenchRow[]> {
  const n = Math.min(opts.devices ?? 200, 1000);
  const sliceMs = Math.min(opts.phaseMs ?? 2000, 10_000);
  const rounds = Math.max(1, Math.min(opts.rounds ?? 4, 20));
  const log = opts.log ?? console.log;
  const loadAtStart = loadavg()[0]!;
  const echo = await forkServer<{ type: 'ready'; port: number }>('./udp-echo.js');
  const targets: Target[] = [];
  try {
    const ours = await openTarget('./management-server.js', n);
    targets.push(ours);
    // The stack floor (bench/stack-floor-server.ts): the same phases against the least a durable
    // server can do on coap-packet + cbor-x + LevelDB, none of our code.
    const floor = await openTarget('./stack-floor-server.js', n);
    targets.push(floor);
    const echoCpu = new CpuTally();
    const readCpu = new CpuTally();
    const notifyCpu = new CpuTally();
    const echoSlice = async (ms: number): Promise<number> => {
      const r = await echoCpu.slice(echo.child.pid, () => udpCeiling(echo.ready.port, n, ms), (x) => x.ops);
      return r.ops / r.seconds;
    };
    // Warm-up (not counted): 2 s of each operation per server, so the hot paths are compiled.
    await udpCeiling(echo.ready.port, n, 1000);
    for (const t of [ours, floor]) {
      await t.reads(2000);
      await t.notify(2000);
    }
    // The same reads through the HTTP API, once (no target).
    const viaHttp = await httpReads(ours.server, ours.ready.httpUrl, ours.ready.token, ours.endpoints, 64, 4000);

    const ceilings: number[] = [];
    const oursReads: ReadsDone[] = [];
    const oursNotify: NotifySlice[] = [];
    const floorReads: ReadsDone[] = [];
    const floorNotify: NotifySlice[] = [];
    const boundPut: NotifySlice[] = [];
    const boundAck: NotifySlice[] = [];
    const boundReadPut: ReadsDone[] = [];
    const boundReadAck: ReadsDone[] = [];
    for (let r = 0; r < rounds; r++) {
      ceilings.push(await echoSlice(sliceMs));
      const profile = r === 0 && profDir !== undefined;
      oursReads.push(await readCpu.slice(ours.server.pid, () => (profile ? profiled(ours.server, 'reads', () => ours.reads(sliceMs)) : ours.reads(sliceMs)), (x) => x.ok));
      oursNotify.push(await notifyCpu.slice(ours.server.pid, () => (profile ? profiled(ours.server, 'notify', () => ours.notify(sliceMs)) : ours.notify(sliceMs)), (x) => x.counted.count));
      floorReads.push(await floor.reads(sliceMs));
      floorNotify.push(await floor.notify(sliceMs));
      boundPut.push(await floor.notify(sliceMs, 'put'));
      boundAck.push(await floor.notify(sliceMs, 'ack'));
      boundReadPut.push(await floor.reads(sliceMs, 'put'));
      boundReadAck.push(await floor.reads(sliceMs, 'ack'));
    }
    ceilings.push(await echoSlice(sliceMs));
    // For reference only (no target): the echo with one socket, one round trip at a time, the
    // setting of the "about 20,000 round trips/s"; the ratios stay to the ceiling above.
    const oneLoop = await udpCeiling(echo.ready.port, 1, sliceMs);
    const ceilingOf = (r: number): number => (ceilings[r]! + ceilings[r + 1]!) / 2;
    const readRate = (x: ReadsDone): number => x.ok / (x.ms / 1000);
    const notifyRate = (x: NotifySlice): number => x.counted.count / x.seconds;
    const ratios = <T>(xs: T[], rate: (x: T) => number): number[] => xs.map((x, r) => rate(x) / ceilingOf(r));

    // CPU per operation is steadier than rates on a shared machine.
    const us = (ms: number, ops: number): string => (ops > 0 && ms >= 0 ? ((1000 * ms) / ops).toFixed(1) : '-');
    const rows: ManagementBenchRow[] = [];
    const targetsText: string[] = [];
    const add = (name: string, ops: number, seconds: number, perSecond: number, ratio: number, target: string): void => {
      rows.push({ name, ops, seconds, perSecond, ratio });
      targetsText.push(target);
    };
    const ceilingRatios = ceilings.map((c) => c / median(ceilings));
    add('UDP round trips (ceiling, echo process)', 0, ceilings.length * (sliceMs / 1000), median(ceilings), 1, `slices ${ceilings.map((c) => Math.round(c)).join(', ')} /s`);
    add('for reference: the same echo from one socket, one round trip at a time', oneLoop.ops, oneLoop.seconds, oneLoop.ops / oneLoop.seconds, oneLoop.ops / oneLoop.seconds / median(ceilings), 'no target; latency-bound (the setting of the issue\'s "about 20,000/s")');
    const readRatios = ratios(oursReads, readRate);
    const floorReadRatios = ratios(floorReads, readRate);
    const notifyRatios = ratios(oursNotify, notifyRate);
    const floorNotifyRatios = ratios(floorNotify, notifyRate);
    const vsFloor = (mine: number[], theirs: number[]): string => `${median(mine.map((m, i) => m / theirs[i]!)).toFixed(2)} of the stack floor`;
    const total = <T>(xs: T[], ops: (x: T) => number): number => xs.reduce((a, x) => a + ops(x), 0);
    const readsMet = median(readRatios) >= 0.5;
    const notifyMet = median(notifyRatios) >= 0.7;
    add('Reads, server-initiated (in-server driver)', total(oursReads, (x) => x.ok), total(oursReads, (x) => x.ms / 1000), median(oursReads.map(readRate)), median(readRatios), `≥ 0.5x ${readsMet ? 'met' : 'MISSED'}; rounds ${list(readRatios)}; ${vsFloor(readRatios, floorReadRatios)}`);
    add('Reads through the HTTP API (64 in flight, after the warm-up)', viaHttp.ops, viaHttp.seconds, viaHttp.ops / viaHttp.seconds, viaHttp.ops / viaHttp.seconds / median(ceilings), `to the median echo slice; no target; server CPU ${Number.isNaN(viaHttp.serverUs) ? '-' : viaHttp.serverUs.toFixed(0)} µs per read`);
    add('Notifications (CON, SenML CBOR) decoded + stored in LevelDB', total(oursNotify, (x) => x.counted.count), total(oursNotify, (x) => x.seconds), median(oursNotify.map(notifyRate)), median(notifyRatios), `≥ 0.7x ${notifyMet ? 'met' : 'MISSED'}; rounds ${list(notifyRatios)}; ${vsFloor(notifyRatios, floorNotifyRatios)}`);
    add('stack floor: Reads (minimal server on coap-packet + LevelDB, no LwM2M logic)', total(floorReads, (x) => x.ok), total(floorReads, (x) => x.ms / 1000), median(floorReads.map(readRate)), median(floorReadRatios), `rounds ${list(floorReadRatios)}`);
    add('stack floor: Notifications decoded (cbor-x) + stored', total(floorNotify, (x) => x.counted.count), total(floorNotify, (x) => x.seconds), median(floorNotify.map(notifyRate)), median(floorNotifyRatios), `rounds ${list(floorNotifyRatios)}`);
    for (const [name, slices] of [
      ['bound: Notifications ACKed and kept with one raw LevelDB put (no CoAP parse, no de-duplication, no decoding)', boundPut],
      ['bound: Notifications ACKed only (raw bytes, nothing stored)', boundAck],
    ] as const) {
      const rs = ratios(slices, notifyRate);
      add(name, total(slices, (x) => x.counted.count), total(slices, (x) => x.seconds), median(slices.map(notifyRate)), median(rs), `rounds ${list(rs)}; server CPU ${us(sumCpu(slices.map((x) => x.counted.cpu)).processMs, total(slices, (x) => x.counted.count))} µs each`);
    }
    for (const [name, slices] of [
      ['bound: Reads from raw bytes (a prebuilt CON GET, the answer matched by its raw token) kept with one raw LevelDB put', boundReadPut],
      ['bound: Reads from raw bytes, nothing stored', boundReadAck],
    ] as const) {
      const rs = ratios(slices, readRate);
      add(name, total(slices, (x) => x.ok), total(slices, (x) => x.ms / 1000), median(slices.map(readRate)), median(rs), `rounds ${list(rs)}; server CPU ${us(sumCpu(slices.map((x) => x.cpu)).processMs, total(slices, (x) => x.ok))} µs each`);
    }

    const readFailures = total(oursReads, (x) => x.failed);
    const firstReadError = oursReads.find((x) => x.firstError)?.firstError;
    if (firstReadError) log(`first read failure: ${firstReadError}`);
    const sum = (xs: NotifySlice[], k: 'sent' | 'acked' | 'resent' | 'resets'): number => total(xs, (x) => x[k]);
    log(`\nDevice management, ${n} lightweight devices per server (load process) vs server process (LevelDB store); ${cpus().length} cores, load ${loadAtStart.toFixed(1)} at start, ${loadavg().map((l) => l.toFixed(1)).join(' ')} at end`);
    log(`${rounds} interleaved rounds after a warm-up (2 s of reads and of notifications per server): echo ${sliceMs / 1000} s, ours (reads ${sliceMs / 1000} s, notifications ${sliceMs / 1000} s), the stack floor (same), its two notification bounds and two read bounds (${sliceMs / 1000} s each), then the echo again. ops/s: the median round; ratio: the median of the rounds' ratios to the mean of the echo slices around them (ceiling slices vary ${Math.min(...ceilingRatios).toFixed(2)}-${Math.max(...ceilingRatios).toFixed(2)}x of their median).`);
    log(`registration of ${n} devices: ${ours.regSeconds.toFixed(2)} s; read failures: ${readFailures} in-server, ${viaHttp.failed} via HTTP; notifications sent ${sum(oursNotify, 'sent')}, ACKed ${sum(oursNotify, 'acked')}, re-sent ${sum(oursNotify, 'resent')}, RST ${sum(oursNotify, 'resets')}, stored ${total(oursNotify, (x) => x.counted.count)} (${total(oursNotify, (x) => x.counted.stored)} values); stack floor: notifications sent ${sum(floorNotify, 'sent')}, ACKed ${sum(floorNotify, 'acked')}, stored ${total(floorNotify, (x) => x.counted.count)}\n`);
    const perOp = (c: Cpu, ops: number): string =>
      `${us(c.processMs, ops)} µs (main thread ${us(c.mainThreadMs, ops)} µs; ${c.batches > 0 ? (ops / c.batches).toFixed(1) : '-'} operations and ${c.batches > 0 ? (c.batchOps / c.batches).toFixed(1) : '-'} LevelDB writes per batch)`;
    const readServerCpu = sumCpu(oursReads.map((x) => x.cpu));
    const notifyServerCpu = sumCpu(oursNotify.map((x) => x.counted.cpu));
    log(`server process CPU per operation: per read ${perOp(readServerCpu, total(oursReads, (x) => x.ok))}; per notification ${perOp(notifyServerCpu, total(oursNotify, (x) => x.counted.count))}`);
    log(`stack floor process CPU per operation: per read ${us(sumCpu(floorReads.map((x) => x.cpu)).processMs, total(floorReads, (x) => x.ok))} µs; per notification ${us(sumCpu(floorNotify.map((x) => x.counted.cpu)).processMs, total(floorNotify, (x) => x.counted.count))} µs\n`);
    // Both processes share the machine's cores: at the same utilisation a ratio r to the echo
    // needs server + load CPU per operation within (echo server + echo load) / r.
    const echoBoth = echoCpu.server + echoCpu.load;
    const budget = (r: number, t: CpuTally): string => (echoBoth / r - t.load).toFixed(1);
    const predicted = (t: CpuTally): string => (echoBoth / (t.server + t.load)).toFixed(2);
    log(
      `CPU per operation, server process / load process: echo round trip ${echoCpu.server.toFixed(1)} / ${echoCpu.load.toFixed(1)} µs; our read ${readCpu.server.toFixed(1)} / ${readCpu.load.toFixed(1)} µs; our notification ${notifyCpu.server.toFixed(1)} / ${notifyCpu.load.toFixed(1)} µs. ` +
        `On shared cores a ratio r needs server + load within (echo server + echo load) / r: for 0.5x the server may spend ${budget(0.5, readCpu)} µs per read, for 0.7x ${budget(0.7, notifyCpu)} µs per notification; ` +
        `the ratios this CPU alone predicts: reads ${predicted(readCpu)}x, notifications ${predicted(notifyCpu)}x (a measured ratio below its prediction is time the cores sat idle).\n`,
    );
    log('| measurement | ops | seconds | ops/s | ratio to ceiling | target |');
    log('|---|---:|---:|---:|---:|---|');
    rows.forEach((r, i) => log(`| ${r.name} | ${r.ops || '-'} | ${r.seconds.toFixed(2)} | ${Math.round(r.perSecond)} | ${r.ratio.toFixed(2)}x | ${targetsText[i]} |`));
    return rows;
  } finally {
    await Promise.all(targets.map((t) => t.close()));
    echo.child.disconnect();
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
