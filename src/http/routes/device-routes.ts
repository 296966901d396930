import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../../clock.js';
import { parseAttributeQuery } from '../../content/link-attributes.js';
import { formatPath, parsePath, pathLevel } from '../../content/path.js';
import { Lwm2mError } from '../../errors.js';
import type { RequestDispatcher } from '../../lwm2m/queue/dispatcher.js';
import type { Operation } from '../../lwm2m/management/operation.js';
import { resolveWriteBody, resources } from '../../lwm2m/management/value-input.js';
import type { ObservationService } from '../../lwm2m/observe/observation-service.js';
import type { ModelLookup } from '../../model/types.js';
import type { ObjectStore, RegistrationStore } from '../../store/types.js';
import { parseTime } from './fleet-cursor.js';
import { sendSubmission } from './operation-reply.js';

export interface DeviceRouteDeps {
  registrations: RegistrationStore;
  dispatcher: RequestDispatcher;
  observations: ObservationService;
  models: ModelLookup;
  objectStore: ObjectStore;
  clock?: Clock;
}

type Req = FastifyRequest<{ Params: { ep: string; '*': string }; Querystring: Record<string, string | undefined>; Body: unknown }>;

const ACTIONS = new Set(['execute', 'discover', 'attributes', 'observe']);

/** Splits "3/0/5/execute" into the LwM2M path and the action suffix. */
function target(raw: string): { path: string; action?: string } {
  const parts = raw.split('/').filter((s) => s !== '');
  const last = parts[parts.length - 1];
  if (last !== undefined && ACTIONS.has(last)) return { path: formatPath(parsePath(parts.slice(0, -1).join('/'))), action: last };
  return { path: formatPath(parsePath(parts.join('/'))) };
}

function formatOf(q: Record<string, string | undefined>): number | undefined {
  if (q.format === undefined) return undefined;
  if (!/^\d{1,5}$/.test(q.format)) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `format must be a Content-Format number, got "${q.format}"`);
  return Number(q.format);
}

/** `timeout` (how long to wait for the device's answer) and `ttl` (how long a request queued for a sleeping device waits). */
function deadlinesOf(q: Record<string, string | undefined>): { timeoutMs?: number; ttlMs?: number } {
  const out: { timeoutMs?: number; ttlMs?: number } = {};
  if (q.timeout !== undefined) out.timeoutMs = seconds(q.timeout, 'timeout', 3600);
  if (q.ttl !== undefined) out.ttlMs = seconds(q.ttl, 'ttl', 30 * 86_400);
  return out;
}

function seconds(text: string, name: string, max: number): number {
  const s = Number(text);
  if (!Number.isFinite(s) || s <= 0 || s > max) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `${name} must be seconds between 0 and ${max}`);
  return s * 1000;
}

function withFormat<T extends object>(o: T, format: number | undefined): T {
  return format === undefined ? o : { ...o, format };
}

export function registerDeviceRoutes(app: FastifyInstance, d: DeviceRouteDeps): void {
  const versionOf = async (ep: string, objectId: number | undefined): Promise<string | undefined> => {
    const reg = d.registrations.getByEndpoint(ep);
    if (!reg) throw new Lwm2mError('LWM2M_ERR_UNKNOWN_DEVICE', `no device "${ep}" is registered`);
    return reg.objectLinks.find((l) => l.objectId === objectId && l.version)?.version;
  };
  const submit = async (req: Req, reply: FastifyReply, op: Operation) => sendSubmission(reply, await d.dispatcher.submit(req.params.ep, op, deadlinesOf(req.query)));

  app.get<{ Params: { ep: string; '*': string }; Querystring: Record<string, string | undefined> }>('/api/v1/devices/:ep/objects/*', async (req, reply) => {
    const t = target(req.params['*']);
    if (t.action === 'discover') return submit(req as Req, reply, { op: 'discover', path: t.path });
    if (t.action !== undefined) throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', `GET not allowed on .../${t.action}`);
    return submit(req as Req, reply, withFormat({ op: 'read' as const, path: t.path }, formatOf(req.query)));
  });

  app.put('/api/v1/devices/:ep/objects/*', async (req: Req, reply) => {
    const t = target(req.params['*']);
    if (t.action === 'attributes') {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const query = Object.entries(body).map(([k, v]) => (v === null ? k : `${k}=${String(v)}`));
      return submit(req, reply, { op: 'write-attributes', path: t.path, attributes: parseAttributeQuery(query) });
    }
    if (t.action !== undefined) throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', `PUT not allowed on .../${t.action}`);
    const mode = req.query.mode ?? 'replace';
    if (mode !== 'replace' && mode !== 'update') throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'mode must be "replace" or "update"');
    const path = parsePath(t.path);
    const values = resolveWriteBody(t.path, req.body, d.models, await versionOf(req.params.ep, path.objectId));
    return submit(req, reply, withFormat({ op: 'write' as const, path: t.path, mode, values }, formatOf(req.query)));
  });

  app.post('/api/v1/devices/:ep/objects/*', async (req: Req, reply) => {
    const t = target(req.params['*']);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (t.action === 'execute') {
      const args = body.args;
      if (args !== undefined && typeof args !== 'string') throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', '"args" must be a string');
      return submit(req, reply, args === undefined ? { op: 'execute', path: t.path } : { op: 'execute', path: t.path, args });
    }
    if (t.action === 'observe') return submit(req, reply, withFormat({ op: 'observe' as const, path: t.path }, formatOf(req.query)));
    if (t.action !== undefined) throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', `POST not allowed on .../${t.action}`);
    const path = parsePath(t.path);
    if (pathLevel(path) !== 'object') throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'POST on an object creates an instance: give /objects/{objectId}');
    const id = body.id;
    if (id !== undefined && (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 65534)) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', '"id" must be an instance id 0..65534');
    const version = await versionOf(req.params.ep, path.objectId);
    const values = resources({ objectId: path.objectId!, instanceId: id ?? 0 }, body.resources ?? {}, d.models, version);
    const op: Operation = id === undefined ? { op: 'create', path: t.path, values } : { op: 'create', path: t.path, instanceId: id, values };
    return submit(req, reply, withFormat(op, formatOf(req.query)));
  });

  app.delete('/api/v1/devices/:ep/objects/*', async (req: Req, reply) => {
    const t = target(req.params['*']);
    if (t.action === 'observe') return submit(req, reply, { op: 'cancel-observe', path: t.path, mode: cancelMode(req.query) });
    if (t.action !== undefined) throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', `DELETE not allowed on .../${t.action}`);
    return submit(req, reply, { op: 'delete', path: t.path });
  });

  registerCompositeRoutes(app, d, submit);
  registerStoreRoutes(app, d);
}

/** How an observation is cancelled (RFC 7641 §3.6): active (GET with Observe=1) or passive (forgotten; RST on its next notification). */
function cancelMode(q: Record<string, string | undefined>): 'active' | 'passive' {
  const mode = q.mode ?? 'active';
  if (mode !== 'active' && mode !== 'passive') throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'mode must be "active" or "passive"');
  return mode;
}

function pathList(body: unknown): string[] {
  const paths = (body as { paths?: unknown } | undefined)?.paths;
  if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === 'string')) {
    throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', '"paths" must be a non-empty list of paths');
  }
  return paths.map((p: string) => formatPath(parsePath(p)));
}

function registerCompositeRoutes(app: FastifyInstance, d: DeviceRouteDeps, submit: (req: Req, reply: FastifyReply, op: Operation) => Promise<FastifyReply>): void {
  app.post('/api/v1/devices/:ep/composite/read', async (req: Req, reply) => submit(req, reply, withFormat({ op: 'read-composite' as const, paths: pathList(req.body) }, formatOf(req.query))));
  app.post('/api/v1/devices/:ep/composite/observe', async (req: Req, reply) => submit(req, reply, withFormat({ op: 'observe-composite' as const, paths: pathList(req.body) }, formatOf(req.query))));
  app.delete('/api/v1/devices/:ep/composite/observe', async (req: Req, reply) => submit(req, reply, { op: 'cancel-observe-composite', paths: pathList(req.body), mode: cancelMode(req.query) }));
  app.post('/api/v1/devices/:ep/composite/write', async (req: Req, reply) => {
    const body = req.body as { values?: unknown } | undefined;
    if (!body?.values || typeof body.values !== 'object' || Array.isArray(body.values)) {
      throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', '"values" must be an object keyed by path');
    }
    const values = [];
    for (const [p, v] of Object.entries(body.values as Record<string, unknown>)) values.push(...resolveWriteBody(p, { value: v }, d.models));
    return submit(req, reply, withFormat({ op: 'write-composite' as const, values }, formatOf(req.query)));
  });
}

function registerStoreRoutes(app: FastifyInstance, d: DeviceRouteDeps): void {
  const values = async (req: FastifyRequest<{ Params: { ep: string; '*'?: string }; Querystring: Record<string, string | undefined> }>) => {
    const parts = (req.params['*'] ?? '').split('/').filter((s) => s !== '');
    if (parts[parts.length - 1] === 'history') {
      const path = formatPath(parsePath(parts.slice(0, -1).join('/')));
      const q: { since?: number; until?: number; limit?: number } = {};
      // The forms of the fleet history and the audit log: epoch ms, ISO 8601, or a duration ago.
      const now = (d.clock ?? systemClock).now();
      const since = parseTime(req.query.since, 'since', now);
      const until = parseTime(req.query.until, 'until', now);
      if (since !== undefined) q.since = since;
      if (until !== undefined) q.until = until;
      if (req.query.limit !== undefined) {
        const n = Number(req.query.limit);
        if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'limit must be 1..10000');
        q.limit = n;
      }
      return { endpoint: req.params.ep, path, history: await d.objectStore.history(req.params.ep, path, q) };
    }
    const prefix = formatPath(parsePath(parts.join('/')));
    return { endpoint: req.params.ep, values: await d.objectStore.latest(req.params.ep, prefix) };
  };
  app.get('/api/v1/devices/:ep/values', values);
  app.get('/api/v1/devices/:ep/values/*', values);
  app.get<{ Params: { ep: string } }>('/api/v1/devices/:ep/observations', async (req) => ({ observations: await d.observations.list(req.params.ep) }));
}
