import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { generate } from 'coap-packet';
import { connectDtls, TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256, TLS_PSK_WITH_AES_128_CCM_8, type CipherSuite, type DtlsClient } from '../src/dtls/index.js';
import { BENCH_PSK, type DtlsServerCommand, type DtlsServerReply } from './dtls-server.js';

/**
 * DTLS benchmark (issue: ">= 1,500 full PSK handshakes/s, requests over DTLS >= 0.6x plain
 * CoAP, <= 4 KB per idle session"). The server runs in its own process (bench/dtls-server.ts:
 * DtlsServerTransport + a CoAP 2.05 responder, and the same responder on plain UDP); this
 * process is the load, using the library's DTLS client (src/dtls/dtls-client.ts) with one UDP
 * socket per simulated device. Measured, each phase bounded in count and time:
 *
 *  1. full PSK handshakes/s (CCM_8), `concurrency` handshakes in flight (cookie exchange,
 *     key exchange, Finished both ways; no resumption), and ECDHE_PSK for information;
 *  2. CoAP CON request / ACK 2.05 round trips/s over established DTLS sessions, one request in
 *     flight per session, and the same over plain UDP sockets: the ratio is the target;
 *  3. memory per idle session: heap + external delta in the server process (after GC) over
 *     `idleSessions` sessions that each exchanged one request and then went quiet.
 *
 * Both processes share this machine's cores, so CPU time of each is reported too: the server's
 * CPU per handshake gives its capacity independent of how fast this load could push.
 */
export interface DtlsBenchOptions {
  concurrency?: number;
  maxHandshakes?: number;
  phaseMs?: number;
  sessions?: number;
  idleSessions?: number;
  /**
   * Only the round-trip phases, `rounds` times alternating plain UDP and DTLS (each round's
   * ratio printed): for profiling and A/B runs on a shared machine. Env BENCH_DTLS_ROUNDS=n.
   */
  roundTripsOnly?: boolean;
  rounds?: number;
  log?: (line: string) => void;
}

export interface DtlsBenchRow {
  name: string;
  value: number;
  unit: string;
  note: string;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const server = { address: '127.0.0.1', port: 0 };

class ServerProcess {
  readonly #child: ChildProcess;
  readonly #waiters: Array<(m: DtlsServerReply) => void> = [];

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (m: DtlsServerReply) => this.#waiters.shift()?.(m));
  }

  static async start(): Promise<{ proc: ServerProcess; udpPort: number; dtlsPort: number }> {
    const prof = process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
    const child = fork(here('./dtls-server.js'), [], { execArgv: ['--expose-gc', ...prof], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const proc = new ServerProcess(child);
    const ready = await proc.#next(15_000);
    if (ready.type !== 'ready') throw new Error('bench server did not start');
    return { proc, udpPort: ready.udpPort, dtlsPort: ready.dtlsPort };
  }

  #next(timeoutMs: number): Promise<DtlsServerReply> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('bench server did not answer')), timeoutMs);
      this.#waiters.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  }

  async ask<T extends DtlsServerReply['type']>(type: T): Promise<Extract<DtlsServerReply, { type: T }>> {
    const p = this.#next(30_000);
    this.#child.send({ type } as DtlsServerCommand);
    const m = await p;
    if (m.type !== type) throw new Error(`expected ${type}, got ${m.type}`);
    return m as Extract<DtlsServerReply, { type: T }>;
  }

  async cpuMs(): Promise<number> {
    const c = await this.ask('cpu');
    return (c.user + c.system) / 1000;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#child.once('exit', () => resolve());
      this.#child.disconnect();
      setTimeout(() => this.#child.kill('SIGKILL'), 3000).unref();
    });
  }
}

const loadCpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** Measures `body` for CPU of both processes and wall time. */
async function measured<T>(srv: ServerProcess, body: () => Promise<T>): Promise<{ result: T; seconds: number; serverCpuMs: number; loadCpuMs: number }> {
  const s0 = await srv.cpuMs();
  const l0 = loadCpuMs();
  const t0 = performance.now();
  const result = await body();
  const seconds = (performance.now() - t0) / 1000;
  const l1 = loadCpuMs();
  const s1 = await srv.cpuMs();
  return { result, seconds, serverCpuMs: s1 - s0, loadCpuMs: l1 - l0 };
}

/** `concurrency` loops of connect + close (no close_notify) until `max` handshakes or `ms`. */
async function handshakes(port: number, suite: CipherSuite, concurrency: number, max: number, ms: number): Promise<{ ok: number; failed: number; retransmissions: number }> {
  const end = performance.now() + ms;
  let started = 0;
  let ok = 0;
  let failed = 0;
  let retransmissions = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while (started < max && performance.now() < end) {
        started++;
        try {
          const c = await connectDtls({ server: { ...server, port }, identity: `bench-${w}`, psk: BENCH_PSK, suites: [suite], timeoutMs: 10_000 });
          ok++;
          retransmissions += c.stats().retransmissions;
          await c.close(false);
        } catch {
          failed++;
        }
      }
    }),
  );
  return { ok, failed, retransmissions };
}

/** A CoAP CON GET with a 2-byte token and a small payload, like a short LwM2M request. */
function request(i: number): Buffer {
  return generate({ messageId: i & 0xffff, token: Buffer.from([i >> 8, i & 0xff]), confirmable: true, code: 'GET', options: [{ name: 'Uri-Path', value: Buffer.from('3') }], payload: Buffer.from('bench') });
}

async function openClients(port: number, n: number, concurrency: number): Promise<DtlsClient[]> {
  const out: DtlsClient[] = [];
  for (let i = 0; i < n; i += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, n - i) }, (_, k) =>
      connectDtls({ server: { ...server, port }, identity: `bench-${i + k}`, psk: BENCH_PSK, suites: [TLS_PSK_WITH_AES_128_CCM_8], timeoutMs: 10_000 }),
    );
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/** The phase the loaders below count for; a client's handler is installed once and reused. */
const phase = { ops: 0, running: false };
const loaded = new WeakSet<DtlsClient>();

/** Closed loops, one request in flight per client, for `ms`: round trips completed. */
async function dtlsRoundTrips(clients: DtlsClient[], ms: number): Promise<number> {
  phase.ops = 0;
  phase.running = true;
  clients.forEach((c, i) => {
    const req = request(i);
    if (!loaded.has(c)) {
      loaded.add(c);
      c.onMessage(() => {
        phase.ops++;
        if (phase.running) c.send(req);
      });
    }
    c.send(req);
  });
  await sleep(ms);
  phase.running = false;
  return phase.ops;
}

async function udpRoundTrips(port: number, n: number, ms: number): Promise<number> {
  const socks = await Promise.all(
    Array.from({ length: n }, () => new Promise<dgram.Socket>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1', () => s.connect(port, '127.0.0.1', () => resolve(s)));
    })),
  );
  let ops = 0;
  let running = true;
  socks.forEach((s, i) => {
    const req = request(i);
    s.on('message', () => {
      ops++;
      if (running) s.send(req);
    });
    s.send(req);
  });
  await sleep(ms);
  running = false;
  await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ops;
}

/** Sessions that each exchanged one request, then the client vanished (no close_notify). */
async function idleSessions(port: number, n: number, concurrency: number): Promise<void> {
  for (let i = 0; i < n; i += concurrency) {
    const clients = await openClients(port, Math.min(concurrency, n - i), concurrency);
    await Promise.all(
      clients.map(
        (c, k) =>
          new Promise<void>((resolve) => {
            c.onMessage(() => resolve());
            c.send(request(i + k));
          }),
      ),
    );
    await Promise.all(clients.map((c) => c.close(false)));
  }
}

const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** Alternating plain / DTLS round-trip phases with per-round figures (see `roundTripsOnly`). */
interface RoundFigures {
  plain: number;
  dtls: number;
  ratio: number;
  plainServerUs: number;
  plainLoadUs: number;
  dtlsServerUs: number;
  dtlsLoadUs: number;
}

async function roundTripRounds(proc: ServerProcess, udpPort: number, dtlsPort: number, n: number, concurrency: number, ms: number, rounds: number, log: (line: string) => void): Promise<RoundFigures[]> {
  const out: RoundFigures[] = [];
  const clients = await openClients(dtlsPort, n, concurrency);
  // Warm-up of both paths (JIT) before the first measured round.
  await udpRoundTrips(udpPort, n, 500);
  await dtlsRoundTrips(clients, 500);
  await sleep(50);
  log('| round | plain /s | DTLS /s | ratio | plain server / load µs | DTLS server / load µs | load average |');
  log('|---:|---:|---:|---:|---:|---:|---|');
  for (let r = 1; r <= rounds; r++) {
    const udp = await measured(proc, () => udpRoundTrips(udpPort, n, ms));
    await sleep(50);
    const dt = await measured(proc, () => dtlsRoundTrips(clients, ms));
    await sleep(50);
    const u = udp.result / udp.seconds;
    const d = dt.result / dt.seconds;
    const us = (cpuMs: number, ops: number): number => (cpuMs * 1000) / ops;
    const f: RoundFigures = { plain: u, dtls: d, ratio: d / u, plainServerUs: us(udp.serverCpuMs, udp.result), plainLoadUs: us(udp.loadCpuMs, udp.result), dtlsServerUs: us(dt.serverCpuMs, dt.result), dtlsLoadUs: us(dt.loadCpuMs, dt.result) };
    out.push(f);
    log(`| ${r} | ${fmt(u)} | ${fmt(d)} | ${fmt(d / u, 2)} | ${fmt(f.plainServerUs, 1)} / ${fmt(f.plainLoadUs, 1)} | ${fmt(f.dtlsServerUs, 1)} / ${fmt(f.dtlsLoadUs, 1)} | ${loadavg().map((l) => l.toFixed(1)).join(' ')} |`);
  }
  await Promise.all(clients.map((c) => c.close(false)));
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function run(opts: DtlsBenchOptions = {}): Promise<DtlsBenchRow[]> {
  const concurrency = Math.min(opts.concurrency ?? 100, 200);
  const maxHs = Math.min(opts.maxHandshakes ?? 5000, 5000);
  const phaseMs = Math.min(opts.phaseMs ?? 4000, 10_000);
  const nSessions = Math.min(opts.sessions ?? 100, 500);
  const nIdle = Math.min(opts.idleSessions ?? 2000, 5000);
  const log = opts.log ?? console.log;
  const rows: DtlsBenchRow[] = [];
  const { proc, udpPort, dtlsPort } = await ServerProcess.start();
  try {
    if (opts.roundTripsOnly) {
      await roundTripRounds(proc, udpPort, dtlsPort, nSessions, concurrency, phaseMs, Math.max(1, Math.min(opts.rounds ?? 3, 20)), log);
      return rows;
    }
    // Warm-up: JIT both sides before measuring.
    await handshakes(dtlsPort, TLS_PSK_WITH_AES_128_CCM_8, 20, 200, 2000);
    await proc.ask('reset');

    const hs = await measured(proc, () => handshakes(dtlsPort, TLS_PSK_WITH_AES_128_CCM_8, concurrency, maxHs, phaseMs * 2));
    const hsRate = hs.result.ok / hs.seconds;
    rows.push({ name: 'full PSK handshakes/s (CCM_8)', value: hsRate, unit: '/s', note: `${hs.result.ok} ok, ${hs.result.failed} failed, ${hs.result.retransmissions} flights resent, ${concurrency} in flight; target >= 1,500 ${hsRate >= 1500 ? 'MET' : 'MISSED'}` });
    rows.push({ name: '  server CPU per handshake', value: (hs.serverCpuMs * 1000) / hs.result.ok, unit: 'µs', note: `capacity ${fmt((hs.result.ok * 1000) / hs.serverCpuMs)}/s per server core; server ${fmt((hs.serverCpuMs / 10 / hs.seconds))}% CPU` });
    rows.push({ name: '  load CPU per handshake', value: (hs.loadCpuMs * 1000) / hs.result.ok, unit: 'µs', note: `load process ${fmt(hs.loadCpuMs / 10 / hs.seconds)}% CPU (same 2 cores)` });
    await proc.ask('reset');

    const ec = await measured(proc, () => handshakes(dtlsPort, TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256, concurrency, Math.floor(maxHs / 2), phaseMs));
    rows.push({ name: 'full ECDHE_PSK handshakes/s (info)', value: ec.result.ok / ec.seconds, unit: '/s', note: `${ec.result.ok} ok, ${ec.result.failed} failed, ${ec.result.retransmissions} flights resent; server ${fmt((ec.serverCpuMs * 1000) / ec.result.ok)} µs CPU each` });
    await proc.ask('reset');

    // Round trips: plain and DTLS phases alternate (5 rounds of 1.5 s each), so both see the
    // same machine; on shared cores a single pair of phases swings by 2x. Medians reported.
    const rounds = await roundTripRounds(proc, udpPort, dtlsPort, nSessions, concurrency, 1500, 5, () => undefined);
    const pick = (k: keyof RoundFigures): number => median(rounds.map((r) => r[k]));
    const ratios = rounds.map((r) => r.ratio);
    rows.push({ name: 'CoAP round trips/s, plain UDP', value: pick('plain'), unit: '/s', note: `median of ${rounds.length} alternated rounds; ${nSessions} sockets; server ${fmt(pick('plainServerUs'), 1)} µs, load ${fmt(pick('plainLoadUs'), 1)} µs CPU each` });
    rows.push({ name: 'CoAP round trips/s, DTLS CCM_8', value: pick('dtls'), unit: '/s', note: `median; ${nSessions} sessions; server ${fmt(pick('dtlsServerUs'), 1)} µs, load ${fmt(pick('dtlsLoadUs'), 1)} µs CPU each` });
    const ratio = median(ratios);
    rows.push({ name: '  DTLS / plain ratio', value: ratio, unit: 'x', note: `median of the rounds' ratios (${ratios.map((r) => fmt(r, 2)).join(', ')}); target >= 0.6 ${ratio >= 0.6 ? 'MET' : 'MISSED'}` });
    await proc.ask('reset');

    const m0 = await proc.ask('mem');
    await idleSessions(dtlsPort, nIdle, concurrency);
    await sleep(200);
    const m1 = await proc.ask('mem');
    const held = m1.sessions - m0.sessions;
    const perHeap = (m1.heapUsed + m1.external - m0.heapUsed - m0.external) / held;
    rows.push({ name: 'memory per idle session (heap+external)', value: perHeap, unit: 'B', note: `${held} idle sessions; target <= 4,096 ${perHeap <= 4096 ? 'MET' : 'MISSED'}` });
    rows.push({ name: '  RSS per idle session (info)', value: (m1.rss - m0.rss) / held, unit: 'B', note: 'RSS includes allocator slack' });
  } finally {
    await proc.stop();
  }

  log(`server: DtlsServerTransport + CoAP responder in its own process; load: this process, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  log('');
  log('| measure | value | notes |');
  log('|---|---:|---|');
  for (const r of rows) log(`| ${r.name} | ${fmt(r.value, r.unit === 'x' ? 2 : 0)} ${r.unit} | ${r.note} |`);
  return rows;
}

const envRounds = Number(process.env.BENCH_DTLS_ROUNDS ?? 0);
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run(envRounds > 0 ? { roundTripsOnly: true, rounds: envRounds } : {});
