import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../src/server.js';

/**
 * The server side of bench/management.ts, in its own process (forked, with IPC): an in-memory
 * server on ephemeral ports plus a bench-only driver that runs Reads in-process through
 * `server.manager` (so the read rate measures the LwM2M/CoAP stack, not an HTTP client), and
 * counts notifications once they are decoded and stored (the `notification` event is emitted
 * after the object store write).
 */
export type ServerCommand =
  | { type: 'reads'; endpoints: string[]; path: string; durationMs: number }
  | { type: 'count-start' }
  | { type: 'count-get' };

export type ServerReply =
  | { type: 'ready'; coapPort: number; httpUrl: string; token: string }
  | { type: 'reads-done'; ok: number; failed: number; ms: number }
  | { type: 'count'; count: number; firstAt: number; lastAt: number };

const dataDir = await mkdtemp(path.join(tmpdir(), 'lwm2m-bench-'));
const server = await startServer({ dataDir, storage: 'memory', coap: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, dtls: { enabled: false }, bootstrap: { enabled: false }, logLevel: 'warn' });
const reply = (m: ServerReply): void => void process.send?.(m);

let counting = false;
let count = 0;
let firstAt = 0;
let lastAt = 0;
server.events.on('notification', () => {
  if (!counting) return;
  lastAt = Date.now();
  if (count++ === 0) firstAt = lastAt;
});

async function reads(endpoints: string[], p: string, durationMs: number): Promise<void> {
  const start = Date.now();
  const end = start + durationMs;
  let ok = 0;
  let failed = 0;
  // One closed loop per device: CoAP's NSTART = 1 allows one outstanding request per peer anyway.
  await Promise.all(
    endpoints.map(async (ep) => {
      while (Date.now() < end) {
        const r = await server.manager.run(ep, { op: 'read', path: p }, { timeoutMs: 5000 });
        if (r.ok) ok++;
        else failed++;
      }
    }),
  );
  reply({ type: 'reads-done', ok, failed, ms: Date.now() - start });
}

process.on('message', (m: ServerCommand) => {
  if (m.type === 'reads') void reads(m.endpoints, m.path, m.durationMs);
  else if (m.type === 'count-start') {
    counting = true;
    count = 0;
    reply({ type: 'count', count, firstAt, lastAt });
  } else if (m.type === 'count-get') reply({ type: 'count', count, firstAt, lastAt });
});

const stop = async (): Promise<void> => {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());

reply({ type: 'ready', coapPort: server.coapAddress().port, httpUrl: server.httpUrl()!, token: server.adminToken() });
