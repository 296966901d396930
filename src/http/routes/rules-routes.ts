import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Lwm2mError } from '../../errors.js';
import { RULE_SCHEMA } from '../../rules/rule-schema.js';
import type { RuleService } from '../../rules/rule-service.js';
import { actorOf, markAudited } from './ops-auth.js';

export interface RulesRouteDeps {
  rules: RuleService;
}

type NameReq = { Params: { name: string } };

/** The token that made the request; the rule service audits the change under its name, so the
 * API's generic audit entry is skipped (only once the change succeeded: a refused one keeps it). */
function who(req: FastifyRequest): string {
  const a = actorOf(req);
  return a.kind === 'token' ? a.name : a.component;
}

async function audited<T>(req: FastifyRequest, fn: (by: string) => Promise<T>): Promise<T> {
  const out = await fn(who(req));
  markAudited(req);
  return out;
}

function flag(body: Record<string, unknown>, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `"${key}" must be true or false`);
  return v;
}

/** Splits a request body into the rule and its switches (`enabled`, `dryRun`, `name`). */
function ruleBody(body: unknown): { spec: Record<string, unknown>; enabled?: boolean; dryRun?: boolean; name?: unknown } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'the body must be a rule: {"when": ..., "if": ..., "then": [...]}');
  const { enabled: _e, dryRun: _d, name, ...spec } = body as Record<string, unknown>;
  const out: { spec: Record<string, unknown>; enabled?: boolean; dryRun?: boolean; name?: unknown } = { spec, name };
  const enabled = flag(body as Record<string, unknown>, 'enabled');
  const dryRun = flag(body as Record<string, unknown>, 'dryRun');
  if (enabled !== undefined) out.enabled = enabled;
  if (dryRun !== undefined) out.dryRun = dryRun;
  return out;
}

/**
 * Automation rules, `/api/v1/rules`:
 *   GET    /rules                   list (with counters)
 *   GET    /rules/schema            JSON Schema of a rule
 *   POST   /rules                   {"name": ..., ...rule}  add (or replace)
 *   PUT    /rules/{name}            add or replace
 *   GET    /rules/{name}            one rule
 *   DELETE /rules/{name}            remove
 *   POST   /rules/{name}/enable | /disable
 *   POST   /rules/{name}/test       {"value": V, "endpoint"?: ..., "path"?: ...}  dry run
 */
export function registerRulesRoutes(app: FastifyInstance, deps: RulesRouteDeps): void {
  const r = deps.rules;
  app.get('/api/v1/rules', async () => ({ rules: await r.list() }));
  app.get('/api/v1/rules/schema', async () => RULE_SCHEMA);

  app.post('/api/v1/rules', async (req, reply) => {
    const b = ruleBody(req.body);
    if (typeof b.name !== 'string') throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'name: give the rule a "name"');
    const name = b.name;
    const { rule, created } = await audited(req, (by) => r.put(name, b.spec, { ...b, by }));
    return reply.code(created ? 201 : 200).send(rule);
  });

  app.put<NameReq>('/api/v1/rules/:name', async (req, reply) => {
    const b = ruleBody(req.body);
    if (b.name !== undefined && b.name !== req.params.name) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'name: differs from the name in the URL');
    const { rule, created } = await audited(req, (by) => r.put(req.params.name, b.spec, { ...b, by }));
    return reply.code(created ? 201 : 200).send(rule);
  });

  app.get<NameReq>('/api/v1/rules/:name', async (req) => r.get(req.params.name));
  app.delete<NameReq>('/api/v1/rules/:name', async (req) => ({ removed: await audited(req, (by) => r.remove(req.params.name, by)) }));
  app.post<NameReq>('/api/v1/rules/:name/enable', async (req) => audited(req, (by) => r.setEnabled(req.params.name, true, by)));
  app.post<NameReq>('/api/v1/rules/:name/disable', async (req) => audited(req, (by) => r.setEnabled(req.params.name, false, by)));

  app.post<NameReq>('/api/v1/rules/:name/test', async (req) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'the body must be {"value": ...}');
    for (const k of ['endpoint', 'path'] as const) {
      if (body[k] !== undefined && typeof body[k] !== 'string') throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `"${k}" must be a string`);
    }
    // A dry run changes nothing: no audit entry.
    markAudited(req);
    return r.test(req.params.name, { value: body.value, ...(body.endpoint !== undefined ? { endpoint: body.endpoint as string } : {}), ...(body.path !== undefined ? { path: body.path as string } : {}) });
  });
}

/* ---------- OpenAPI description of these routes, to merge into src/http/openapi.ts `paths` ---------- */

type Doc = Record<string, unknown>;
const err = (...statuses: number[]): Doc => Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]));
const ok = (schema: Doc, description = 'OK'): Doc => ({ description, content: { 'application/json': { schema } } });
const NAME = { name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'rule name' };
const RULE: Doc = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    spec: { type: 'object', description: 'the rule (GET /api/v1/rules/schema)' },
    enabled: { type: 'boolean' },
    dryRun: { type: 'boolean' },
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
    stats: { type: 'object', properties: { evaluations: { type: 'integer' }, firings: { type: 'integer' }, loopsCut: { type: 'integer' }, rateLimited: { type: 'integer' }, lastFiredAt: { type: 'integer' }, lastError: { type: 'string' } } },
  },
};
const RULE_BODY = { required: true, content: { 'application/json': { schema: { type: 'object', description: 'a rule (see /api/v1/rules/schema), plus optional "enabled" and "dryRun"' } } } };
const op = (summary: string, o: { params?: Doc[]; body?: Doc; responses: Doc }): Doc => ({ tags: ['rules'], summary, ...(o.params ? { parameters: o.params } : {}), ...(o.body ? { requestBody: o.body } : {}), responses: o.responses });

export const RULES_OPENAPI_PATHS: Doc = {
  '/api/v1/rules': {
    get: op('automation rules, by name', { responses: { 200: ok({ type: 'object', properties: { rules: { type: 'array', items: RULE } } }), ...err(401) } }),
    post: op('add or replace a rule ("name" in the body)', { body: RULE_BODY, responses: { 200: ok(RULE, 'replaced'), 201: ok(RULE, 'added'), ...err(400, 401, 403) } }),
  },
  '/api/v1/rules/schema': { get: op('JSON Schema of a rule', { responses: { 200: ok({ type: 'object' }), ...err(401) } }) },
  '/api/v1/rules/{name}': {
    get: op('one rule with its counters', { params: [NAME], responses: { 200: ok(RULE), ...err(401, 404) } }),
    put: op('add or replace a rule', { params: [NAME], body: RULE_BODY, responses: { 200: ok(RULE, 'replaced'), 201: ok(RULE, 'added'), ...err(400, 401, 403) } }),
    delete: op('remove a rule', { params: [NAME], responses: { 200: ok({ type: 'object', properties: { removed: RULE } }), ...err(401, 403, 404) } }),
  },
  '/api/v1/rules/{name}/enable': { post: op('enable a rule', { params: [NAME], responses: { 200: ok(RULE), ...err(401, 403, 404) } }) },
  '/api/v1/rules/{name}/disable': { post: op('disable a rule', { params: [NAME], responses: { 200: ok(RULE), ...err(401, 403, 404) } }) },
  '/api/v1/rules/{name}/test': {
    post: op('dry run with a given value: what the rule would do; nothing is sent', {
      params: [NAME],
      body: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { value: {}, endpoint: { type: 'string' }, path: { type: 'string' } } } } } },
      responses: { 200: ok({ type: 'object', properties: { rule: { type: 'string' }, trigger: { type: 'object' }, matched: { type: 'boolean' }, condition: { type: 'boolean' }, inWindow: { type: 'boolean' }, debounceMs: { type: 'integer' }, actions: { type: 'array', items: { type: 'object' } } } }), ...err(400, 401, 403, 404) },
    }),
  },
};
