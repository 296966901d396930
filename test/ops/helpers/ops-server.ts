/** A full server in memory with the operations layer and its API, on 127.0.0.1 ephemeral ports. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../../src/log.js';
import type { Clock } from '../../../src/clock.js';
import type { ConfigInput } from '../../../src/config.js';
import type { OpsLayer } from '../../../src/ops/ops-layer.js';
import { startServer, type Lwm2mServer } from '../../../src/server.js';
import { parseSseBlock } from '../../../src/cli/event-client.js';

export interface OpsServer {
  server: Lwm2mServer;
  ops: OpsLayer;
  app: FastifyInstance;
  url: string;
  token: string;
}

/** The server exactly as `lwm2m serve` builds it (operations layer and API included), in memory. */
export async function startOpsServer(t: { teardown(fn: () => Promise<void> | void): void }, o: { protection?: ConfigInput['protection']; journalCapacity?: number; clock?: Clock } = {}): Promise<OpsServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lwm2m-ops-'));
  const server = await startServer(
    {
      dataDir,
      storage: 'memory',
      coap: { port: 0 },
      http: { port: 0 },
      logLevel: 'silent',
      protection: o.protection ?? { enabled: false },
      ...(o.journalCapacity !== undefined ? { events: { bufferSize: o.journalCapacity } } : {}),
    },
    { logger: silentLogger(), ...(o.clock ? { clock: o.clock } : {}) },
  );
  t.teardown(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { server, ops: server.ops, app: server.api!, url: server.httpUrl()!, token: server.adminToken() };
}

export interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** Opens the event stream; `next(n)` resolves with the next n events (comments skipped). */
export async function openStream(url: string, token: string, o: { query?: string; lastEventId?: string } = {}) {
  const abort = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (o.lastEventId !== undefined) headers['last-event-id'] = o.lastEventId;
  const res = await fetch(`${url}/api/v1/events${o.query ? `?${o.query}` : ''}`, { headers, signal: abort.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const queue: SseEvent[] = [];
  const pump = async (): Promise<boolean> => {
    const { value, done } = await reader.read();
    if (done) return false;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const ev = parseSseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (ev) queue.push({ ...(ev.id !== undefined ? { id: ev.id } : {}), event: ev.type, data: ev.data as Record<string, unknown> });
    }
    return true;
  };
  return {
    status: res.status,
    async next(n: number, timeoutMs = 5000): Promise<SseEvent[]> {
      const deadline = Date.now() + timeoutMs;
      while (queue.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${queue.length} of ${n} events arrived`);
        const more = await Promise.race([pump(), new Promise<boolean>((r) => setTimeout(() => r(true), 100))]);
        if (!more) throw new Error('stream ended');
      }
      return queue.splice(0, n);
    },
    close: () => abort.abort(),
  };
}
