import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../clock.js';
import type { AuditLog } from '../../ops/audit-log.js';
import type { EventJournal } from '../../ops/event-journal.js';
import type { QuarantineService } from '../../ops/quarantine-service.js';
import type { ServerMetrics } from '../../ops/server-metrics.js';
import type { ApiTokenService } from '../../ops/token-service.js';
import type { TagStore } from '../../ops/types.js';
import type { ObjectStore, RegistrationStore } from '../../store/types.js';
import { registerFleetRoutes } from './fleet-routes.js';
import { registerMetricsRoute } from './metrics-routes.js';
import { actorOf, isAudited, isReadMethod } from './ops-auth.js';
import { registerOpsRoutes } from './ops-routes.js';
import { registerTokenRoutes } from './tokens-routes.js';

/** The operations layer as the API needs it (built by src/server.ts). */
export interface OpsApi {
  tokens: ApiTokenService;
  audit: AuditLog;
  quarantine: QuarantineService;
  tags: TagStore;
  /** The event stream's journal (quarantine, throttle and bootstrap events are published into it). */
  journal: EventJournal;
  metrics?: ServerMetrics;
  /** Queue-mode presence: false means sleeping. */
  isAwake?: (endpoint: string) => boolean;
  clock?: Clock;
}

/** Registers the operations routes and the audit hook for every other acting route. */
export function registerOpsApi(app: FastifyInstance, ops: OpsApi, deps: { objectStore?: ObjectStore; registrations: RegistrationStore }): void {
  const fleet = { registrations: deps.registrations, quarantine: ops.quarantine, tags: ops.tags, ...(ops.isAwake ? { isAwake: ops.isAwake } : {}), ...(ops.clock ? { clock: ops.clock } : {}) };
  registerOpsRoutes(app, { quarantine: ops.quarantine, audit: ops.audit, tags: ops.tags, ...(ops.clock ? { clock: ops.clock } : {}) });
  registerTokenRoutes(app, ops.tokens);
  if (deps.objectStore) registerFleetRoutes(app, { ...fleet, objectStore: deps.objectStore });
  if (ops.metrics) registerMetricsRoute(app, ops.metrics);

  // Every acting request (not a read) is an operator action: audited with its token, unless
  // its route wrote a richer entry itself. Refused requests (4xx before the route) are too.
  app.addHook('onResponse', async (req, reply) => {
    if (isReadMethod(req.method) || isAudited(req) || reply.statusCode === 401) return;
    const params = req.params as Record<string, string> | undefined;
    const route = req.routeOptions.url ?? req.url.split('?')[0]!;
    await ops.audit.record(actorOf(req), `${req.method} ${route}`, params?.ep, { status: reply.statusCode });
  });
}
