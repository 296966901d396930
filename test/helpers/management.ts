import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConfigInput } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { ModelRegistry } from '../../src/model/registry.js';
import { startServer, type Lwm2mServer } from '../../src/server.js';
import { SimulatedDevice, type SimulatedDeviceOptions } from '../../src/sim/simulated-device.js';

let modelsOnce: Promise<ModelRegistry> | undefined;
/** One models instance per test process (loading the registry takes ~50 ms). */
export function sharedModels(): Promise<ModelRegistry> {
  return (modelsOnce ??= ModelRegistry.builtin());
}

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** A server on ephemeral ports with the HTTP API, and a tiny API client with its bearer token. */
export interface TestServer {
  server: Lwm2mServer;
  dataDir: string;
  /** The API token, to hand to a CLI process in LWM2M_TOKEN. */
  adminTokenForTests(): string;
  api<T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<ApiAnswer<T>>;
  /** Starts a simulated device registered with this server. */
  device(o: Omit<SimulatedDeviceOptions, 'server' | 'models'>): Promise<SimulatedDevice>;
  /** Events from GET /api/v1/events. */
  events(query?: string): Promise<EventStream>;
  stop(): Promise<void>;
}

export async function startTestServer(config: ConfigInput = {}, opts: { dataDir?: string; keepDir?: boolean } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'lwm2m-mgmt-')));
  const server = await startServer(
    { dataDir, storage: 'memory', coap: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, dtls: { enabled: false }, bootstrap: { enabled: false }, ...config },
    { logger: createLogger({ level: process.env.LWM2M_TEST_LOG ?? 'silent' }) },
  );
  const models = await sharedModels();
  const devices: SimulatedDevice[] = [];
  const streams: EventStream[] = [];
  const base = server.httpUrl()!;
  const token = server.adminToken();
  return {
    server,
    dataDir,
    adminTokenForTests: () => token,
    async api<T>(method: string, route: string, body?: unknown): Promise<ApiAnswer<T>> {
      const init: RequestInit = { method, headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers = { ...init.headers, 'content-type': 'application/json' };
      }
      const res = await fetch(`${base}${route}`, init);
      const text = await res.text();
      return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T };
    },
    async device(o) {
      const d = await SimulatedDevice.start({ ...o, server: server.coapAddress(), models });
      devices.push(d);
      return d;
    },
    async events(query = '') {
      const s = await openEvents(`${base}/api/v1/events${query}`, token);
      streams.push(s);
      return s;
    },
    async stop() {
      for (const s of streams) s.close();
      await Promise.all(devices.map((d) => d.close()));
      await server.stop();
      if (opts.keepDir !== true && opts.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ServerEvent {
  type: string;
  data: Record<string, unknown>;
}

export interface EventStream {
  received: ServerEvent[];
  /** The next (or an already received, not yet taken) event matching. */
  next(match: (e: ServerEvent) => boolean, timeoutMs?: number): Promise<ServerEvent>;
  close(): void;
}

/** Reads a server-sent event stream with fetch. */
export async function openEvents(url: string, token: string): Promise<EventStream> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
  if (res.status !== 200 || !res.body) throw new Error(`event stream answered ${res.status}`);
  const received: ServerEvent[] = [];
  const taken = new Set<ServerEvent>();
  const waiters = new Set<() => void>();
  void (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type === undefined || data === undefined) continue;
          received.push({ type, data: JSON.parse(data) as Record<string, unknown> });
          for (const w of [...waiters]) w();
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return {
    received,
    next(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const e = received.find((x) => !taken.has(x) && match(x));
          if (!e) return false;
          taken.add(e);
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(e);
          return true;
        };
        const waiter = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(received.map((e) => e.type))}`));
        }, timeoutMs);
        if (!check()) waiters.add(waiter);
      });
    },
    close: () => ac.abort(),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns a truthy value (bounded). The default bound covers two CoAP
 * retransmissions (RFC 7252: 2-3 s, then twice that), so a datagram the kernel dropped while
 * the machine is busy does not fail a test whose outcome is still right.
 */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 15_000, what = 'condition'): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`${what} not reached in ${timeoutMs} ms`);
    await sleep(20);
  }
}
