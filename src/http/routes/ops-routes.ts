import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../../clock.js';
import { Lwm2mError } from '../../errors.js';
import type { AuditLog } from '../../ops/audit-log.js';
import type { QuarantineService } from '../../ops/quarantine-service.js';
import { auditCursor, type AuditEntry, type TagStore } from '../../ops/types.js';
import { pageLimit, parseTime } from './fleet-cursor.js';
import { one, quarantineJson, type Query } from './fleet-filter.js';
import { actorOf, markAudited } from './ops-auth.js';

export interface OpsRouteDeps {
  quarantine: QuarantineService;
  audit: AuditLog;
  tags: TagStore;
  clock?: Clock;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function auditJson(e: AuditEntry): Record<string, unknown> {
  const by = e.actor.kind === 'token' ? { kind: 'token', name: e.actor.name } : e.actor;
  return { seq: e.seq, cursor: auditCursor(e), at: new Date(e.at).toISOString(), actor: by, action: e.action, target: e.target, details: e.details };
}

/** Quarantine, audit log and tags (README, operator's guide). */
export function registerOpsRoutes(app: FastifyInstance, d: OpsRouteDeps): void {
  const clock = d.clock ?? systemClock;

  app.post<{ Params: { ep: string }; Body: unknown }>('/api/v1/devices/:ep/quarantine', async (req, reply) => {
    const body = req.body ?? {};
    if (!isObject(body) || (body.reason !== undefined && typeof body.reason !== 'string')) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'body is {"reason": "..."} (optional)');
    if (typeof body.reason === 'string' && body.reason.length > 1000) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'reason is at most 1000 characters');
    markAudited(req);
    const rec = await d.quarantine.quarantine(req.params.ep, { by: actorOf(req), ...(typeof body.reason === 'string' ? { reason: body.reason } : {}) });
    return reply.code(200).send({ endpoint: rec.endpoint, quarantine: quarantineJson(rec) });
  });

  app.delete<{ Params: { ep: string } }>('/api/v1/devices/:ep/quarantine', async (req) => {
    markAudited(req);
    const rec = await d.quarantine.release(req.params.ep, actorOf(req));
    return { endpoint: rec.endpoint, released: quarantineJson(rec) };
  });

  app.get('/api/v1/quarantine', async () => ({ quarantined: (await d.quarantine.list()).map((r) => ({ endpoint: r.endpoint, ...quarantineJson(r) })) }));

  app.get<{ Querystring: Query }>('/api/v1/audit', async (req) => {
    const now = clock.now();
    const since = parseTime(one(req.query, 'since'), 'since', now);
    const until = parseTime(one(req.query, 'until'), 'until', now);
    const limit = pageLimit(one(req.query, 'limit'), 1000, 10_000);
    const cursor = one(req.query, 'cursor');
    const q: { since?: number; until?: number; after?: string; limit: number } = { limit: limit + 1 };
    if (since !== undefined) q.since = since;
    if (until !== undefined) q.until = until;
    if (cursor !== undefined && cursor !== '') q.after = cursor;
    const entries = await d.audit.list(q);
    const out: { entries: Record<string, unknown>[]; nextCursor?: string } = { entries: entries.slice(0, limit).map(auditJson) };
    if (entries.length > limit) out.nextCursor = auditCursor(entries[limit - 1]!);
    return out;
  });

  app.get<{ Params: { ep: string } }>('/api/v1/devices/:ep/tags', async (req) => ({ endpoint: req.params.ep, tags: await d.tags.get(req.params.ep) }));

  app.put<{ Params: { ep: string }; Body: unknown }>('/api/v1/devices/:ep/tags', async (req) => {
    const body = req.body;
    if (!isObject(body) || !Object.values(body).every((v) => v === null || typeof v === 'string')) {
      throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'body is {"key": "value", "other": null}: string values set a tag, null removes it');
    }
    markAudited(req);
    const previous = await d.tags.set(req.params.ep, body as Record<string, string | null>);
    const tags = await d.tags.get(req.params.ep);
    await d.audit.record(actorOf(req), 'tag', req.params.ep, { set: body, previous });
    return { endpoint: req.params.ep, tags };
  });
}
