import { systemClock, type Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import { silentLogger, type Logger } from '../log.js';
import type { RegistrationGuard } from '../lwm2m/registration/registration-service.js';
import type { Route } from '../lwm2m/router.js';
import type { BatchWriter } from '../store/batch-writer.js';
import type { Database } from '../store/level-db.js';
import type { Registration, RegistrationStore } from '../store/types.js';
import { peerKey, samePeer, type PeerAddress, type PeerIdentity } from '../transport/types.js';
import { journalFor } from '../http/routes/event-stream.js';
import type { OpsApi } from '../http/routes/ops-api.js';
import { AuditLog } from './audit-log.js';
import { LevelAuditStore, MemoryAuditStore } from './audit-store.js';
import { deviceGate } from './device-gate.js';
import type { EventJournal } from './event-journal.js';
import { identityKey } from './identity-keys.js';
import { resolveProtection, type ProtectionConfig } from './protection.js';
import { levelQuarantineStore, memoryQuarantineStore } from './quarantine-store.js';
import { QuarantineService, type QuarantineEvent } from './quarantine-service.js';
import { countEvents, createServerMetrics, type ServerMetrics } from './server-metrics.js';
import { levelTagStore, memoryTagStore } from './tag-store.js';
import { ApiTokenService } from './token-service.js';
import { levelApiTokenStore, memoryApiTokenStore } from './token-store.js';
import type { QuarantineRecord, TagStore } from './types.js';

/** How a quarantined device is torn down; the server passes what it has. */
export interface Teardown {
  /** Operator-side de-registration (RegistrationService.deregisterEndpoint). */
  deregister?: (endpoint: string) => Promise<unknown>;
  /** Forget its observations (ObservationService.removeEndpoint). */
  cancelObservations?: (endpoint: string) => Promise<unknown>;
  /** Drop its queued requests (RequestDispatcher.cancelAll). */
  cancelQueued?: (endpoint: string) => Promise<unknown>;
  /** Close DTLS sessions (DtlsServerTransport.closeSessions); returns how many. */
  closeDtlsSessions?: (predicate: (s: { peer: PeerAddress; identity: PeerIdentity }) => boolean) => number;
}

export interface OpsLayerOptions {
  /** "memory", or the server's LevelDB and batch writer (sublevels quarantine, audit, tags, tokens). */
  storage: 'memory' | { db: Database; writer: BatchWriter };
  registrations: RegistrationStore;
  events: EventBus;
  adminToken: string;
  teardown?: Teardown;
  protection?: Partial<ProtectionConfig> | ProtectionConfig;
  journalCapacity?: number;
  /** How long live events are still kept after the last stream client left (ms). */
  journalResumeWindowMs?: number;
  isAwake?: (endpoint: string) => boolean;
  queueDepth?: () => Promise<number>;
  /** Transport counters for /metrics (DtlsServerTransport.stats, CoapEndpoint.stats). */
  dtlsStats?: () => { handshakesOk: number; handshakesFailed: number; sessions: number };
  coapStats?: () => object;
  clock?: Clock;
  logger?: Logger;
}

export interface OpsLayer {
  api: OpsApi;
  quarantine: QuarantineService;
  audit: AuditLog;
  tags: TagStore;
  tokens: ApiTokenService;
  journal: EventJournal;
  metrics: ServerMetrics;
  /** First of the CoAP routes: refuses quarantined and throttled devices on /rd, /dp, /bs. */
  gate: Route;
  /** For RegistrationService.addGuard. */
  guard: RegistrationGuard;
  /** Publish a bootstrap progress event on the stream (for the bootstrap server). */
  bootstrapProgress(e: { endpoint: string; stage: string } & Record<string, unknown>): void;
  close(): Promise<void>;
}

function boundToRecord(rec: QuarantineRecord, s: { peer: PeerAddress; identity: PeerIdentity }): boolean {
  return rec.identities.includes(identityKey(s.identity)) || rec.addresses.includes(peerKey(s.peer));
}

/** Builds the operations layer (quarantine, protection, audit, tags, tokens, events, metrics). */
export async function openOpsLayer(o: OpsLayerOptions): Promise<OpsLayer> {
  const clock = o.clock ?? systemClock;
  const log = o.logger ?? silentLogger();
  const level = o.storage === 'memory' ? undefined : o.storage;
  const lo = level && { writer: level.writer, logger: log.child({ component: 'ops-store' }) };
  const auditStore = level ? await LevelAuditStore.open(level.db, lo) : new MemoryAuditStore();
  const quarantineStore = level ? await levelQuarantineStore(level.db, lo) : memoryQuarantineStore();
  const tags = level ? await levelTagStore(level.db, lo) : memoryTagStore();
  const tokenStore = level ? await levelApiTokenStore(level.db, lo) : memoryApiTokenStore();

  const audit = new AuditLog({ store: auditStore, clock, logger: log });
  const journal = journalFor(o.events, {
    now: () => clock.now(),
    ...(o.journalCapacity !== undefined ? { capacity: o.journalCapacity } : {}),
    ...(o.journalResumeWindowMs !== undefined ? { resumeWindowMs: o.journalResumeWindowMs } : {}),
  });
  const metrics = createServerMetrics({
    registeredDevices: async () => o.registrations.size,
    quarantinedDevices: async () => quarantineStore.size,
    ...(o.queueDepth ? { queueDepth: o.queueDepth } : {}),
    ...(o.dtlsStats ? { dtls: o.dtlsStats } : {}),
    ...(o.coapStats ? { coap: o.coapStats } : {}),
    clock: () => clock.now(),
  });
  const offMetrics = countEvents(o.events, metrics, () => clock.now());
  const t = o.teardown ?? {};
  const quarantine = new QuarantineService({
    store: quarantineStore,
    registrations: o.registrations,
    audit,
    clock,
    logger: log.child({ component: 'quarantine' }),
    onEvent: (e: QuarantineEvent) => o.events.emit('quarantine', e),
    onQuarantine: async (endpoint, rec) => {
      // The record is stored first: a Register racing with this teardown is already refused.
      if (t.deregister && o.registrations.getByEndpoint(endpoint)) await t.deregister(endpoint);
      await t.cancelObservations?.(endpoint);
      await t.cancelQueued?.(endpoint);
      const closed = t.closeDtlsSessions?.((s) => boundToRecord(rec, s)) ?? 0;
      log.info({ endpoint, dtlsSessionsClosed: closed }, 'quarantined device torn down');
    },
  });
  // The quarantine binds where and as whom a device was seen: its registration tells the current
  // address and identity, so only what a registration no longer holds is noted (an address it
  // moved away from, a registration replaced or gone), not every Register.
  const noteLeft = (r: Registration): void => quarantine.noteSeen(r.endpoint, r.address, r.identity);
  const offSeen = [
    o.events.on('registered', ({ replaced }) => {
      if (replaced) noteLeft(replaced);
    }),
    // An Update cannot change the identity (it is refused); only an address left behind is worth noting.
    o.events.on('updated', ({ registration: r, previous: p }) => {
      if (!samePeer(r.address, p.address)) noteLeft(p);
    }),
    o.events.on('deregistered', ({ registration }) => noteLeft(registration)),
    o.events.on('expired', ({ registration }) => noteLeft(registration)),
  ];
  const tokens = new ApiTokenService({ store: tokenStore, adminToken: o.adminToken, audit, clock });
  const gate = deviceGate({
    quarantine,
    registrations: o.registrations,
    protection: resolveProtection(o.protection ?? {}),
    audit,
    clock,
    logger: log.child({ component: 'protection' }),
    onRefused: (why, scope) => metrics.refusedRequests.inc(scope ? { reason: why, scope } : { reason: why }),
    onThrottle: (e) => o.events.emit('throttle', e),
  });
  const api: OpsApi = { tokens, audit, quarantine, tags, journal, metrics, clock, ...(o.isAwake ? { isAwake: o.isAwake } : {}) };
  return {
    api,
    quarantine,
    audit,
    tags,
    tokens,
    journal,
    metrics,
    gate,
    guard: quarantine.guard(),
    bootstrapProgress: (e) => void journal.publish('bootstrap', e),
    close: async () => {
      offMetrics();
      offSeen.forEach((off) => off());
      for (const s of [auditStore, quarantineStore, tags, tokenStore]) await s.close();
    },
  };
}
