import dgram from 'node:dgram';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generate, parse, type ParsedPacket } from 'coap-packet';

/**
 * A lightweight load generator for the registration benchmarks: raw CoAP over a few UDP
 * sockets, one closed loop per socket (the next request when the previous is answered, so CoAP's
 * NSTART = 1 holds per socket). Many devices share a socket: the server keys registrations by
 * endpoint name, and a benchmark of Register/Update/De-register needs no server-initiated
 * request, so a distinct address:port per device is not needed (documented in RESULTS.md).
 */
export interface LoadResult {
  ok: number;
  failed: number;
  seconds: number;
  perSecond: number;
  firstError?: string;
}

/**
 * Request `i` of a loop (`i` counts over all sockets); `socket` is the index of the socket it goes
 * out on and `n` counts that socket's requests, so a loop can keep each device on its own socket.
 */
export type RequestMaker = (i: number, socket: number, n: number) => { code: 'POST' | 'DELETE' | 'GET'; options: Array<{ name: string; value: Buffer }>; payload?: Buffer } | undefined;

const opt = (name: string, value: string | Buffer): { name: string; value: Buffer } => ({ name, value: typeof value === 'string' ? Buffer.from(value) : value });

const LINKS = Buffer.from('</>;rt="oma.lwm2m";ct="110 112",</1>;ver=1.1,</1/0>,</3>;ver=1.1,</3/0>,</3303>;ver=1.1,</3303/0>,</3311>,</3311/0>');

/** Register (LwM2M 1.1 Core §6.2.1) of endpoint `ep`. */
export function registerRequest(ep: string, lifetime = 86_400): ReturnType<RequestMaker> {
  return {
    code: 'POST',
    options: [opt('Uri-Path', 'rd'), opt('Content-Format', Buffer.from([40])), opt('Uri-Query', `ep=${ep}`), opt('Uri-Query', `lt=${lifetime}`), opt('Uri-Query', 'lwm2m=1.1'), opt('Uri-Query', 'b=U')],
    payload: LINKS,
  };
}

export function updateRequest(location: string[]): ReturnType<RequestMaker> {
  return { code: 'POST', options: location.map((p) => opt('Uri-Path', p)) };
}

export function deregisterRequest(location: string[]): ReturnType<RequestMaker> {
  return { code: 'DELETE', options: location.map((p) => opt('Uri-Path', p)) };
}

/**
 * A load socket that outlives one loop: a device keeps its socket (its address) from Register to
 * De-register, as a LwM2M client does. It carries its next MID, so loops after the first do not
 * reuse MIDs the server is still de-duplicating (RFC 7252 §4.5).
 */
export interface LoadSocket {
  socket: dgram.Socket;
  mid: number;
}

/**
 * The last MID sent from each local port by this process. The system hands a closed socket's
 * port to a later one, and the server still de-duplicates (address, port, MID) for 247 s: a new
 * socket on a port used before goes on from that port's MID, or its first requests would be
 * answered as duplicates of old ones.
 */
const lastMidByPort = new Map<number, number>();

export async function openLoadSockets(n: number): Promise<LoadSocket[]> {
  return Promise.all(Array.from({ length: n }, (_, si) => new Promise<LoadSocket>((resolve) => {
    const s = dgram.createSocket('udp4');
    // Sockets start at spread-out MIDs, as clients with random initial MIDs (§4.4) would: a
    // server that keys de-duplication by MID alone (lwm2m-node-lib's CoAP stack) would otherwise
    // drop the first request of every socket but one and stall that loop.
    s.bind(0, '127.0.0.1', () => resolve({ socket: s, mid: lastMidByPort.get(s.address().port) ?? (si * 2053) & 0xffff }));
  })));
}

export function closeLoadSockets(socks: LoadSocket[]): Promise<void> {
  for (const s of socks) lastMidByPort.set(s.socket.address().port, s.mid);
  return Promise.all(socks.map((s) => new Promise<void>((r) => s.socket.close(() => r())))).then(() => undefined);
}

/**
 * Sends requests 0, 1, 2, ... (until `make` returns undefined or `ms` runs out) from closed
 * loops to 127.0.0.1:`port`, one per socket: `sockets` new ones (closed at the end), or the
 * given ones (left open); `expect` is the success code. `onAnswer` sees each success (e.g. to
 * keep the Location-Path) and the socket it came back on.
 */
export async function closedLoop(o: { port: number; sockets: number | LoadSocket[]; ms: number; make: RequestMaker; expect: string; onAnswer?: (i: number, locationPath: string[], socket: number) => void }): Promise<LoadResult> {
  const socks = typeof o.sockets === 'number' ? await openLoadSockets(o.sockets) : o.sockets;
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const end = start + o.ms;
  await Promise.all(socks.map((ls, si) => new Promise<void>((resolve) => {
    const s = ls.socket;
    let current = -1;
    let n = 0;
    let token = Buffer.alloc(4);
    let retry: NodeJS.Timeout | undefined;
    const done = (): void => {
      s.removeListener('message', onMessage);
      resolve();
    };
    const sendNext = (): void => {
      clearTimeout(retry);
      if (performance.now() >= end) return done();
      const i = next;
      const req = o.make(i, si, n);
      if (req === undefined) return done();
      next++;
      n++;
      current = i;
      token = Buffer.alloc(6);
      token.writeUInt16BE(si, 0);
      token.writeUInt32BE(i, 2);
      const msg = generate({ confirmable: true, messageId: ls.mid = (ls.mid + 1) & 0xffff, token, code: req.code, options: req.options, ...(req.payload ? { payload: req.payload } : {}) });
      s.send(msg, o.port, '127.0.0.1');
      // A lost datagram (full socket buffer) must not stall the loop: count it and go on.
      retry = setTimeout(() => {
        failed++;
        firstError ??= `no answer to request ${current} in 5 s`;
        sendNext();
      }, 5000);
    };
    const onMessage = (buf: Buffer): void => {
      let p: ParsedPacket;
      try {
        p = parse(buf);
      } catch {
        return;
      }
      if (!p.token.equals(token)) return;
      if (p.code === o.expect || o.expect === '*') {
        ok++;
        o.onAnswer?.(current, p.options.filter((x) => x.name === 'Location-Path').map((x) => x.value.toString()), si);
      } else {
        failed++;
        firstError ??= `answer ${p.code}: ${p.payload.toString()}`;
      }
      sendNext();
    };
    s.on('message', onMessage);
    sendNext();
  })));
  const seconds = (performance.now() - start) / 1000;
  if (typeof o.sockets === 'number') await closeLoadSockets(socks);
  return { ok, failed, seconds, perSecond: ok / seconds, ...(firstError ? { firstError } : {}) };
}

/** The ceiling's echo process (bench/udp-echo.ts): the same closed loops against it measure raw UDP round trips. */
export async function startEcho(): Promise<{ port: number; stop: () => void }> {
  const { child, ready } = await forkServer<{ port: number }>('./udp-echo.js');
  return { port: ready.port, stop: () => child.disconnect() };
}

/** Extra node flags for forked bench servers, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p" to profile them. */
function serverNodeArgs(): string[] {
  return (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
}

/** Forks a bench server process and waits for its first message. */
export function forkServer<T>(file: string, opts: { env?: NodeJS.ProcessEnv; execArgv?: string[] } = {}): Promise<{ child: ChildProcess; ready: T }> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [], { env: { ...process.env, ...opts.env }, execArgv: [...(opts.execArgv ?? []), ...serverNodeArgs()], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start in 60 s`)), 60_000);
    child.once('message', (m: T) => {
      clearTimeout(timer);
      resolve({ child, ready: m });
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

/** Asks the child once and waits for its answer. */
export function ask<R>(child: ChildProcess, cmd: unknown, timeoutMs = 120_000): Promise<R> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer from the bench server')), timeoutMs);
    child.once('message', (m: R) => {
      clearTimeout(timer);
      resolve(m);
    });
    child.send(cmd as object);
  });
}

/** Ends a forked child and waits for it. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.disconnect();
  });
}
