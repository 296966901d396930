import type { EventBus } from '../events.js';
import { MetricsRegistry, type Counter, type Gauge, type Histogram } from './metrics.js';

/** The server's metrics, by what they measure. Other layers increment them (see README). */
export interface ServerMetrics {
  registry: MetricsRegistry;
  /** Set on every scrape from the registration store size (see `collect`). */
  registeredDevices: Gauge;
  /** Device-initiated and server-initiated requests: type (register, update, send, read, ...), result (a CoAP code, "timeout", "refused"). */
  requests: Counter;
  notifications: Counter;
  /** Notifications per second over the last 10 s (rate() of the counter works too). */
  notificationRate: Gauge;
  queueDepth: Gauge;
  dtlsHandshakes: Counter;
  storeWriteSeconds: Histogram;
  eventStreamClients: Gauge;
  quarantinedDevices: Gauge;
  refusedRequests: Counter;
  events: Counter;
  coapEvents: Counter;
  dtlsSessions: Gauge;
  /** Call for every notification (keeps the 10 s rate window). */
  noteNotification(now: number): void;
  /** Reads the sources (store sizes, queue depth) into their gauges: call before each scrape. */
  refresh(): Promise<void>;
}

type Source = () => number | Promise<number>;

export interface MetricSources {
  registeredDevices?: Source;
  quarantinedDevices?: Source;
  /** Pending queued requests, all devices. */
  queueDepth?: Source;
  /** DtlsServerTransport.stats(): handshakes are exported from its own counters. */
  dtls?: () => { handshakesOk: number; handshakesFailed: number; sessions: number };
  /** CoapEndpoint.stats(): every counter as lwm2m_coap_events_total{event=...}. */
  coap?: () => object;
  clock?: () => number;
}

const WINDOW_MS = 10_000;

export function createServerMetrics(src: MetricSources = {}): ServerMetrics {
  const now = src.clock ?? Date.now;
  const r = new MetricsRegistry();
  // One counter per second of the window: cheap, and exact enough for a dashboard.
  const slots = new Map<number, number>();
  const m: ServerMetrics = {
    registry: r,
    registeredDevices: r.gauge('lwm2m_registered_devices', 'Devices currently registered'),
    requests: r.counter('lwm2m_requests_total', 'Requests by type and result'),
    notifications: r.counter('lwm2m_notifications_total', 'Notifications received'),
    notificationRate: r.gauge('lwm2m_notifications_per_second', 'Notifications per second over the last 10 s', (g) => {
      const t = Math.floor(now() / 1000);
      let n = 0;
      for (const [s, c] of slots) if (s > t - WINDOW_MS / 1000) n += c;
      g.set(n / (WINDOW_MS / 1000));
    }),
    queueDepth: r.gauge('lwm2m_queue_depth', 'Requests waiting for sleeping devices'),
    dtlsHandshakes: r.counter('lwm2m_dtls_handshakes_total', 'DTLS handshakes by result (ok, failed)'),
    storeWriteSeconds: r.histogram('lwm2m_store_write_seconds', 'Store write latency', [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]),
    eventStreamClients: r.gauge('lwm2m_event_stream_clients', 'Open GET /api/v1/events connections'),
    quarantinedDevices: r.gauge('lwm2m_quarantined_devices', 'Devices in quarantine'),
    refusedRequests: r.counter('lwm2m_refused_requests_total', 'Device requests refused by reason (quarantined, throttled) and scope'),
    events: r.counter('lwm2m_events_total', 'Server events by type'),
    coapEvents: r.counter('lwm2m_coap_events_total', 'CoAP message layer counters (retransmissions, timeouts, duplicates, ...)'),
    dtlsSessions: r.gauge('lwm2m_dtls_sessions', 'Established DTLS sessions'),
    noteNotification(at: number) {
      const s = Math.floor(at / 1000);
      slots.set(s, (slots.get(s) ?? 0) + 1);
      for (const k of slots.keys()) if (k <= s - WINDOW_MS / 1000) slots.delete(k);
      m.notifications.inc();
    },
    async refresh() {
      if (src.registeredDevices) m.registeredDevices.set(await src.registeredDevices());
      if (src.quarantinedDevices) m.quarantinedDevices.set(await src.quarantinedDevices());
      if (src.queueDepth) m.queueDepth.set(await src.queueDepth());
      if (src.dtls) {
        const d = src.dtls();
        m.dtlsHandshakes.setTotal(d.handshakesOk, { result: 'ok' });
        m.dtlsHandshakes.setTotal(d.handshakesFailed, { result: 'failed' });
        m.dtlsSessions.set(d.sessions);
      }
      if (src.coap) for (const [event, n] of Object.entries(src.coap())) if (typeof n === 'number') m.coapEvents.setTotal(n, { event });
    },
  };
  return m;
}

/** Counts what the event bus tells: registrations by kind, notifications, Sends, queued results. */
export function countEvents(events: EventBus, m: ServerMetrics, now: () => number = Date.now): () => void {
  // Fixed label sets, bound once: counted on every Register, Update and notification.
  const count = (type: string) => m.events.bind({ type });
  const requestCount = (type: string, result: string) => m.requests.bind({ type, result });
  const registered = [count('registered'), requestCount('register', '2.01')] as const;
  const updated = [count('updated'), requestCount('update', '2.04')] as const;
  const deregistered = [count('deregistered'), requestCount('deregister', '2.02')] as const;
  const expired = count('expired');
  const notification = count('notification');
  const offs = [
    events.on('registered', () => {
      registered[0].inc();
      registered[1].inc();
    }),
    events.on('updated', () => {
      updated[0].inc();
      updated[1].inc();
    }),
    events.on('deregistered', ({ by }) => {
      deregistered[0].inc();
      if (by === 'device') deregistered[1].inc();
    }),
    events.on('expired', () => expired.inc()),
    events.on('notification', () => {
      notification.inc();
      m.noteNotification(now());
    }),
    events.on('send', () => {
      m.events.inc({ type: 'send' });
      m.requests.inc({ type: 'send', result: '2.04' });
    }),
    events.on('request-result', ({ request, result }) => {
      m.events.inc({ type: 'request-result' });
      m.requests.inc({ type: request.operation, result: result.ok ? result.code ?? 'ok' : result.error?.code ?? 'failed' });
    }),
  ];
  return () => offs.forEach((off) => off());
}
