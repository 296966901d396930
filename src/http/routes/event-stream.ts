import type { FastifyInstance } from 'fastify';
import { Lwm2mError } from '../../errors.js';
import { EventBus, type ServerEventMap, type ServerEventName } from '../../events.js';
import { EventJournal, type EventJournalOptions, type JournalEvent } from '../../ops/event-journal.js';
import { deviceJson } from '../device-json.js';

/** Bus events the stream carries. */
export const STREAMED: readonly ServerEventName[] = ['registered', 'updated', 'deregistered', 'expired', 'notification', 'observation-ended', 'read', 'send', 'request-queued', 'request-result', 'bootstrap', 'quarantine', 'throttle', 'rule-fired', 'rule-loop', 'rule-action-result'];
/**
 * Value events, kept for a replay only while an event-stream client could resume (one is
 * connected, or left less than the resume window ago); the object store keeps the values.
 */
export const RESUME_ONLY: readonly ServerEventName[] = ['notification', 'read', 'send'];
/** Published straight into the journal by the operations layer and the bootstrap server. */
export const JOURNAL_ONLY = [] as const;
export const STREAM_TYPES: readonly string[] = [...STREAMED, ...JOURNAL_ONLY];

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

/** The endpoint an event is about (what the stream filters on), without shaping it. */
export function eventEndpoint(_name: ServerEventName, e: unknown): string | undefined {
  const o = e as { registration?: { endpoint?: unknown }; request?: { endpoint?: unknown }; endpoint?: unknown };
  const ep = o.registration?.endpoint ?? o.request?.endpoint ?? o.endpoint;
  return typeof ep === 'string' ? ep : undefined;
}

/** A journal fed by the bus (when the server has not built one itself). */
export function journalFor(events: EventBus, options: Omit<EventJournalOptions, 'resumeOnly'> = {}): EventJournal {
  const journal = new EventJournal({ ...options, resumeOnly: RESUME_ONLY });
  journal.follow(events, STREAMED, (name, e) => eventData(name, e as ServerEventMap[typeof name]), eventEndpoint);
  return journal;
}

export interface EventStreamOptions {
  /** Called with +1 / -1 as clients connect and leave (the metrics gauge). */
  onClients?: (delta: number) => void;
  /** A client that lets this much pile up unread is disconnected (it can resume). */
  maxBufferedBytes?: number;
  heartbeatMs?: number;
}

function endpointFilter(raw: string | undefined): ((ep: string | undefined) => boolean) | undefined {
  if (!raw) return undefined;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of raw.split(',').filter((s) => s !== '')) {
    if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return (ep) => ep !== undefined && (exact.has(ep) || prefixes.some((p) => ep.startsWith(p)));
}

function typeFilter(raw: string | undefined): Set<string> | undefined {
  if (!raw) return undefined;
  const types = raw.split(',').filter((s) => s !== '');
  const unknown = types.find((t) => !STREAM_TYPES.includes(t));
  if (unknown !== undefined) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `unknown event type "${unknown}" (known: ${STREAM_TYPES.join(', ')})`);
  return new Set(types);
}

function lastEventId(header: string | string[] | undefined, query: string | undefined): number | undefined {
  const raw = (Array.isArray(header) ? header[0] : header) ?? query;
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `Last-Event-ID must be an event id, got "${raw}"`);
  return Number(raw);
}

function frame(e: JournalEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify({ ...e.data, at: new Date(e.at).toISOString() })}\n\n`;
}

/**
 * `GET /api/v1/events?ep=&type=&lastEventId=`: server-sent events. Each event has an id; a
 * client that reconnects with `Last-Event-ID` (header, or the query parameter for curl) first
 * gets the buffered events it missed, in order, then the live ones. When the buffer no longer
 * holds all it missed, an `event: gap` (no id) says so before the replay. `ep` takes endpoint
 * names and `prefix*`, `type` event types, both comma-separated.
 */
export function registerEventStream(app: FastifyInstance, source: EventBus | EventJournal, o: EventStreamOptions = {}): EventJournal {
  const journal = source instanceof EventJournal ? source : journalFor(source);
  const maxBuffered = o.maxBufferedBytes ?? 4 * 1024 * 1024;
  app.get<{ Querystring: { ep?: string; type?: string; lastEventId?: string } }>('/api/v1/events', (req, reply) => {
    const eps = endpointFilter(req.query.ep);
    const types = typeFilter(req.query.type);
    const resumeFrom = lastEventId(req.headers['last-event-id'], req.query.lastEventId);
    const wanted = (e: JournalEvent) => (!types || types.has(e.type)) && (!eps || eps(e.endpoint));
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    let closed = false;
    const send = (e: JournalEvent) => {
      if (closed || !wanted(e)) return;
      res.write(frame(e));
      // A reader that stopped reading: cut it loose rather than buffer without bound.
      if (res.writableLength > maxBuffered) close();
    };
    // Replay and subscribe in the same turn: nothing can be published in between.
    if (resumeFrom !== undefined) {
      // Value events not kept while nobody listened matter only to a client that wants them.
      const { events, complete, notKept } = journal.since(resumeFrom, (t) => !types || types.has(t));
      if (!complete) res.write(`event: gap\ndata: ${JSON.stringify({ lastEventId: resumeFrom, oldestId: journal.oldestId, latestId: journal.lastId, ...(notKept ? { notKept: journal.resumeOnly } : {}) })}\n\n`);
      for (const e of events) send(e);
    }
    const off = journal.subscribe(send);
    o.onClients?.(1);
    const ping = setInterval(() => res.write(': ping\n\n'), o.heartbeatMs ?? 15_000);
    ping.unref();
    function close(): void {
      if (closed) return;
      closed = true;
      clearInterval(ping);
      off();
      o.onClients?.(-1);
      res.end();
    }
    req.raw.on('close', close);
    res.on('close', close);
  });
  return journal;
}
