import type { FastifyInstance } from 'fastify';
import type { EventBus, ServerEventMap, ServerEventName } from '../../events.js';
import { deviceJson } from '../device-json.js';

const STREAMED: readonly ServerEventName[] = ['registered', 'updated', 'deregistered', 'expired', 'notification', 'observation-ended', 'send', 'request-queued', 'request-result'];

/** The JSON an event carries on the stream: devices in their API shape, everything else as is. */
export function eventData<K extends ServerEventName>(name: K, e: ServerEventMap[K]): Record<string, unknown> {
  if ('registration' in e) {
    const { registration, ...rest } = e as { registration: Parameters<typeof deviceJson>[0] } & Record<string, unknown>;
    const out: Record<string, unknown> = { endpoint: registration.endpoint, device: deviceJson(registration) };
    for (const [k, v] of Object.entries(rest)) out[k] = v && typeof v === 'object' && 'endpoint' in v ? deviceJson(v as Parameters<typeof deviceJson>[0]) : v;
    return out;
  }
  if (name === 'request-queued' || name === 'request-result') {
    const { request, ...rest } = e as { request: { endpoint: string } } & Record<string, unknown>;
    return { endpoint: request.endpoint, request, ...rest };
  }
  return e as Record<string, unknown>;
}

/**
 * `GET /api/v1/events?ep=&type=`: server-sent events, one `event: <type>` with JSON `data` per
 * server event, filtered by endpoint and by type (comma-separated lists).
 */
export function registerEventStream(app: FastifyInstance, events: EventBus): void {
  app.get<{ Querystring: { ep?: string; type?: string } }>('/api/v1/events', (req, reply) => {
    const eps = req.query.ep ? new Set(req.query.ep.split(',')) : undefined;
    const types = req.query.type ? STREAMED.filter((t) => req.query.type!.split(',').includes(t)) : STREAMED;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': connected\n\n');
    let id = 0;
    const offs = types.map((type) =>
      events.on(type, (e) => {
        const data = eventData(type, e);
        if (eps && !eps.has(String(data.endpoint))) return;
        res.write(`id: ${++id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      }),
    );
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    ping.unref();
    req.raw.on('close', () => {
      clearInterval(ping);
      for (const off of offs) off();
    });
  });
}
