/**
 * The OpenAPI 3.0 description of the management API, served at `/api/v1/openapi.json`.
 * test/ops/openapi.test.ts enumerates the routes fastify registers and checks each one against
 * this document and back, so it stays true. Error codes come from src/errors.ts.
 */
import { ERROR_CODES } from '../errors.js';
import { RULES_OPENAPI_PATHS } from './routes/rules-routes.js';

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description = 'OK'): Json => ({ description, content: { 'application/json': { schema } } });
const errors = (...statuses: number[]): Json => Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]));
const pathParam = (name: string, description: string): Json => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });
const query = (name: string, description: string, schema: Json = { type: 'string' }): Json => ({ name, in: 'query', required: false, schema, description });
const body = (schema: Json, required = true): Json => ({ required, content: { 'application/json': { schema } } });
const obj = (properties: Json, required: string[] = []): Json => ({ type: 'object', properties, ...(required.length ? { required } : {}) });

const EP = pathParam('ep', 'endpoint name');
const OBJ_PATH = pathParam('path', 'LwM2M path below the device, e.g. 3/0/13, optionally followed by /discover, /attributes, /execute or /observe (may contain slashes)');
const FORMAT = query('format', 'Content-Format number to ask the device for', { type: 'integer' });
const TIMEOUT = query('timeout', 'seconds to wait for the device', { type: 'number' });
/** A device operation's deadlines: its answer, and (queued for a sleeping device) its wait. */
const DEADLINES = [TIMEOUT, query('ttl', 'seconds a request queued for a sleeping device waits before it expires (default: the server\'s queue TTL)', { type: 'number' })];
const FLEET_FILTERS = [
  query('ep', 'endpoint name, or prefix followed by *'),
  query('status', 'comma-separated: online, sleeping, quarantined, offline'),
  { ...query('tag', 'key=value; repeat for several (all must match)'), style: 'form', explode: true, schema: { type: 'array', items: { type: 'string' } } },
  query('object', 'only devices announcing this object id', { type: 'integer' }),
];
const PAGE = [query('limit', 'page size', { type: 'integer', minimum: 1 }), query('cursor', 'nextCursor of the previous page')];
const OPERATION = { 200: json(ref('OperationResult')), 202: json(ref('Queued'), 'queued for a sleeping device'), ...errors(400, 401, 403, 404, 502, 504) };

function op(tag: string, summary: string, o: { params?: Json[]; body?: Json; responses: Json; security?: boolean }): Json {
  const out: Json = { tags: [tag], summary, responses: o.responses };
  if (o.params) out.parameters = o.params;
  if (o.body) out.requestBody = o.body;
  if (o.security === false) out.security = [];
  return out;
}

const schemas: Json = {
  Error: obj({ error: obj({ code: { type: 'string', enum: Object.keys(ERROR_CODES) }, message: { type: 'string' } }, ['code', 'message']) }, ['error']),
  Device: obj(
    {
      endpoint: { type: 'string' },
      registrationId: { type: 'string' },
      lwm2mVersion: { type: 'string' },
      lifetime: { type: 'integer' },
      binding: { type: 'string' },
      queueMode: { type: 'boolean' },
      sms: { type: 'string' },
      address: { type: 'string' },
      transport: { type: 'string', enum: ['coap', 'coaps'] },
      rootPath: { type: 'string' },
      supportedFormats: { type: 'array', items: { type: 'integer' } },
      objects: { type: 'array', items: obj({ path: { type: 'string' }, version: { type: 'string' } }, ['path']) },
      registeredAt: { type: 'string', format: 'date-time' },
      lastUpdate: { type: 'string', format: 'date-time' },
      expiresAt: { type: 'string', format: 'date-time' },
      status: { type: 'string', enum: ['online', 'sleeping', 'quarantined', 'offline'] },
      tags: { type: 'object', additionalProperties: { type: 'string' } },
      quarantine: ref('Quarantine'),
    },
    ['endpoint'],
  ),
  Quarantine: obj({ reason: { type: 'string' }, since: { type: 'string', format: 'date-time' }, by: { type: 'string' }, identities: { type: 'array', items: { type: 'string' } }, addresses: { type: 'array', items: { type: 'string' } } }),
  TypedValue: obj({ type: { type: 'string' }, value: {} }, ['type', 'value']),
  PathValue: obj({ path: { type: 'string' }, value: ref('TypedValue'), time: { type: 'integer', description: 'epoch ms' } }, ['path', 'value']),
  StoredValue: obj({ endpoint: { type: 'string' }, path: { type: 'string' }, value: ref('TypedValue'), time: { type: 'integer' }, receivedAt: { type: 'integer' }, source: { type: 'string', enum: ['read', 'notify', 'send', 'write'] } }),
  OperationResult: obj({ ok: { type: 'boolean' }, code: { type: 'string' }, format: { type: 'integer' }, values: { type: 'array', items: ref('PathValue') }, error: ref('Error') }, ['ok']),
  Queued: obj({ queued: { type: 'boolean' }, requestId: { type: 'string' }, request: ref('QueuedRequest') }),
  QueuedRequest: obj({ id: { type: 'string' }, endpoint: { type: 'string' }, operation: { type: 'string' }, status: { type: 'string', enum: ['pending', 'sent', 'succeeded', 'failed', 'expired', 'cancelled'] }, result: { type: 'object' } }),
  AuditEntry: obj({ seq: { type: 'integer' }, cursor: { type: 'string' }, at: { type: 'string', format: 'date-time' }, actor: { type: 'object' }, action: { type: 'string' }, target: { type: 'string' }, details: { type: 'object' } }),
  Token: obj({ id: { type: 'string' }, name: { type: 'string' }, readOnly: { type: 'boolean' }, createdAt: { type: 'string', format: 'date-time' } }),
  Security: obj({ endpoint: { type: 'string' }, mode: { type: 'string', enum: ['psk', 'rpk', 'x509'] } }),
};

const responses: Json = Object.fromEntries(
  [400, 401, 403, 404, 406, 409, 412, 415, 422, 500, 502, 503, 504].map((s) => [`E${s}`, json(ref('Error'), `error (HTTP ${s}); codes: ${Object.entries(ERROR_CODES).filter(([, v]) => v.http === s).map(([k]) => k).join(', ') || 'see Error'}`)]),
);

const paths: Json = {
  '/api/v1/health': { get: op('system', 'liveness; no token needed', { responses: { 200: json(obj({ status: { type: 'string' } })) }, security: false }) },
  '/api/v1/openapi.json': { get: op('system', 'this document; no token needed', { responses: { 200: json({ type: 'object' }) }, security: false }) },
  '/metrics': { get: op('system', 'Prometheus metrics (text format 0.0.4)', { responses: { 200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors(401) } }) },
  '/api/v1/devices': {
    get: op('devices', 'list devices, page by page, filtered and sorted', {
      params: [...FLEET_FILTERS, query('sort', 'endpoint (default), registeredAt, lastUpdate, expiresAt; prefix - for descending'), ...PAGE],
      responses: { 200: json(obj({ devices: { type: 'array', items: ref('Device') }, total: { type: 'integer' }, nextCursor: { type: 'string' } }, ['devices'])), ...errors(400, 401) },
    }),
  },
  '/api/v1/devices/{ep}': {
    get: op('devices', 'one device (registered or quarantined)', { params: [EP], responses: { 200: json(ref('Device')), ...errors(401, 404) } }),
    delete: op('devices', 'operator-side de-registration', { params: [EP], responses: { 200: json(obj({ deregistered: ref('Device') })), ...errors(401, 403, 404) } }),
  },
  '/api/v1/devices/{ep}/objects/{path}': {
    get: op('operations', 'Read (or Discover with /discover)', { params: [EP, OBJ_PATH, FORMAT, ...DEADLINES], responses: OPERATION }),
    put: op('operations', 'Write (mode=replace|update) or Write-Attributes (/attributes)', { params: [EP, OBJ_PATH, FORMAT, ...DEADLINES, query('mode', 'replace or update')], body: body({ type: 'object' }), responses: OPERATION }),
    post: op('operations', 'Create (on an object), Execute (/execute) or Observe (/observe)', { params: [EP, OBJ_PATH, FORMAT, ...DEADLINES], body: body({ type: 'object' }, false), responses: OPERATION }),
    delete: op('operations', 'Delete, or cancel an observation (/observe, mode=active|passive)', { params: [EP, OBJ_PATH, ...DEADLINES, query('mode', 'active or passive')], responses: OPERATION }),
  },
  '/api/v1/devices/{ep}/composite/read': { post: op('operations', 'Read-Composite', { params: [EP, FORMAT, ...DEADLINES], body: body(obj({ paths: { type: 'array', items: { type: 'string' } } }, ['paths'])), responses: OPERATION }) },
  '/api/v1/devices/{ep}/composite/observe': {
    post: op('operations', 'Observe-Composite', { params: [EP, FORMAT, ...DEADLINES], body: body(obj({ paths: { type: 'array', items: { type: 'string' } } }, ['paths'])), responses: OPERATION }),
    delete: op('operations', 'cancel an Observe-Composite (mode=active|passive)', { params: [EP, ...DEADLINES, query('mode', 'active or passive')], body: body(obj({ paths: { type: 'array', items: { type: 'string' } } }, ['paths'])), responses: OPERATION }),
  },
  '/api/v1/devices/{ep}/composite/write': { post: op('operations', 'Write-Composite', { params: [EP, FORMAT, ...DEADLINES], body: body(obj({ values: { type: 'object' } }, ['values'])), responses: OPERATION }) },
  '/api/v1/devices/{ep}/values': { get: op('values', 'latest stored values of a device', { params: [EP], responses: { 200: json(obj({ endpoint: { type: 'string' }, values: { type: 'array', items: ref('StoredValue') } })), ...errors(401) } }) },
  '/api/v1/devices/{ep}/values/{path}': {
    get: op('values', 'latest stored values below a path, or its history (path ending in /history)', {
      params: [pathParam('ep', 'endpoint name'), pathParam('path', 'LwM2M path, optionally followed by /history (may contain slashes)'), query('since', 'epoch ms, ISO 8601 or a duration ago (15m, 2h, 7d)'), query('until', 'same forms as since'), query('limit', 'history entries', { type: 'integer' })],
      responses: { 200: json({ type: 'object' }), ...errors(400, 401) },
    }),
  },
  '/api/v1/devices/{ep}/observations': { get: op('operations', 'observations held on a device', { params: [EP], responses: { 200: json(obj({ observations: { type: 'array', items: { type: 'object' } } })), ...errors(401) } }) },
  '/api/v1/devices/{ep}/quarantine': {
    post: op('operations-ops', 'quarantine a device', { params: [EP], body: body(obj({ reason: { type: 'string' } }), false), responses: { 200: json(obj({ endpoint: { type: 'string' }, quarantine: ref('Quarantine') })), ...errors(400, 401, 403) } }),
    delete: op('operations-ops', 'release a device from quarantine', { params: [EP], responses: { 200: json(obj({ endpoint: { type: 'string' }, released: ref('Quarantine') })), ...errors(401, 403, 404) } }),
  },
  '/api/v1/devices/{ep}/tags': {
    get: op('operations-ops', "a device's tags", { params: [EP], responses: { 200: json(obj({ endpoint: { type: 'string' }, tags: { type: 'object', additionalProperties: { type: 'string' } } })), ...errors(401) } }),
    put: op('operations-ops', 'set tags (string) or remove them (null)', { params: [EP], body: body({ type: 'object', additionalProperties: { type: 'string', nullable: true } }), responses: { 200: json(obj({ endpoint: { type: 'string' }, tags: { type: 'object' } })), ...errors(400, 401, 403) } }),
  },
  '/api/v1/quarantine': { get: op('operations-ops', 'quarantined devices', { responses: { 200: json(obj({ quarantined: { type: 'array', items: ref('Quarantine') } })), ...errors(401) } }) },
  '/api/v1/audit': { get: op('operations-ops', 'audit log, oldest first', { params: [query('since', 'epoch ms, ISO 8601 or a duration ago (15m, 2h, 7d)'), query('until', 'same forms as since'), ...PAGE], responses: { 200: json(obj({ entries: { type: 'array', items: ref('AuditEntry') }, nextCursor: { type: 'string' } })), ...errors(400, 401) } }) },
  '/api/v1/values': {
    get: op('fleet', 'latest value of a resource on every matching device', {
      params: [{ ...query('path', 'path pattern, * for any id, e.g. /3303/*/5700'), required: true }, ...FLEET_FILTERS, ...PAGE],
      responses: { 200: json(obj({ values: { type: 'array', items: ref('StoredValue') }, nextCursor: { type: 'string' } })), ...errors(400, 401) },
    }),
  },
  '/api/v1/values/history': {
    get: op('fleet', 'history of a resource on every matching device over a time range', {
      params: [{ ...query('path', 'path pattern, e.g. /3303/*/5700'), required: true }, query('since', 'epoch ms, ISO 8601 or duration ago'), query('until', 'same forms as since'), query('entries', 'history entries per series', { type: 'integer' }), ...FLEET_FILTERS, ...PAGE],
      responses: { 200: json(obj({ series: { type: 'array', items: obj({ endpoint: { type: 'string' }, path: { type: 'string' }, values: { type: 'array', items: { type: 'object' } } }) }, nextCursor: { type: 'string' } })), ...errors(400, 401) },
    }),
  },
  '/api/v1/events': {
    get: op('events', 'server-sent events; resume with the Last-Event-ID header (an `event: gap` first when some of the missed events are gone: dropped from the buffer, or value events not kept while no client could resume)', {
      params: [query('ep', 'endpoint names or prefix*, comma-separated'), query('type', 'event types, comma-separated'), query('lastEventId', 'like the Last-Event-ID header'), { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } }],
      responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors(400, 401) },
    }),
  },
  '/api/v1/requests/{id}': {
    get: op('operations', 'a queued request and its result', { params: [pathParam('id', 'request id')], responses: { 200: json(ref('QueuedRequest')), ...errors(401, 404) } }),
    delete: op('operations', 'cancel a request still waiting for its sleeping device (412 once it has been sent or has finished)', { params: [pathParam('id', 'request id')], responses: { 200: json(obj({ cancelled: ref('QueuedRequest') })), ...errors(401, 403, 404, 412) } }),
  },
  '/api/v1/devices/{ep}/requests': { get: op('operations', "a device's requests waiting for it to wake, in delivery order", { params: [EP], responses: { 200: json(obj({ requests: { type: 'array', items: ref('QueuedRequest') } })), ...errors(401) } }) },
  '/api/v1/tokens': {
    get: op('tokens', 'API tokens (never their secrets)', { responses: { 200: json(obj({ tokens: { type: 'array', items: ref('Token') } })), ...errors(401) } }),
    post: op('tokens', 'create a token; the secret is in this answer only', { body: body(obj({ name: { type: 'string' }, readOnly: { type: 'boolean' } }, ['name'])), responses: { 201: json({ allOf: [ref('Token'), obj({ token: { type: 'string' } })] }, 'created'), ...errors(400, 401, 403) } }),
  },
  '/api/v1/tokens/{id}': { delete: op('tokens', 'revoke a token (by id or name)', { params: [pathParam('id', 'token id or name')], responses: { 200: json(obj({ revoked: ref('Token') })), ...errors(401, 403, 404) } }) },
  '/api/v1/bootstrap/configs': {
    get: op('bootstrap', 'bootstrap configurations (keys are never returned)', { responses: { 200: json(obj({ configs: { type: 'array', items: { type: 'object' } } })), ...errors(401) } }),
    post: op('bootstrap', 'provision a device ("endpoint" in the body): its bootstrap configuration and, with a local PSK, the security store entry', { body: body({ type: 'object' }), responses: { 200: json({ type: 'object' }, 'replaced'), 201: json({ type: 'object' }, 'added'), ...errors(400, 401, 403) } }),
  },
  '/api/v1/bootstrap/configs/{ep}': {
    get: op('bootstrap', 'one bootstrap configuration (keys are never returned)', { params: [EP], responses: { 200: json({ type: 'object' }), ...errors(401, 404) } }),
    put: op('bootstrap', 'provision a device: its bootstrap configuration and, with a local PSK, the security store entry', { params: [EP], body: body({ type: 'object' }), responses: { 200: json({ type: 'object' }, 'replaced'), 201: json({ type: 'object' }, 'added'), ...errors(400, 401, 403) } }),
    delete: op('bootstrap', 'remove a bootstrap configuration (?security=true also removes the security entry it provisioned)', { params: [EP, query('security', 'also remove the security store entry', { type: 'boolean' })], responses: { 200: json({ type: 'object' }), ...errors(401, 403, 404) } }),
  },
  '/api/v1/bootstrap/sessions': {
    get: op('bootstrap', 'running and recent bootstrap sessions', { params: [query('ep', 'only this endpoint')], responses: { 200: json(obj({ sessions: { type: 'array', items: { type: 'object' } } })), ...errors(401) } }),
  },
  '/api/v1/bootstrap/trigger/{ep}': {
    post: op('bootstrap', 'server-initiated bootstrap: Execute /1/x/9 on a registered device', { params: [EP, query('instance', 'Server object instance', { type: 'integer' }), TIMEOUT], responses: OPERATION }),
  },
  '/api/v1/security': {
    get: op('security', 'device credentials (no keys)', { responses: { 200: json(obj({ security: { type: 'array', items: ref('Security') } })), ...errors(401) } }),
    post: op('security', 'add or replace credentials of a device', { body: body({ type: 'object' }), responses: { 200: json({ type: 'object' }, 'replaced'), 201: json({ type: 'object' }, 'added'), ...errors(400, 401, 403) } }),
  },
  '/api/v1/security/{ep}': {
    get: op('security', "a device's credentials (no keys)", { params: [EP], responses: { 200: json(ref('Security')), ...errors(401, 404) } }),
    delete: op('security', "remove a device's credentials", { params: [EP], responses: { 200: json({ type: 'object' }), ...errors(401, 403, 404) } }),
  },
};

export const openApiDocument: Json = Object.freeze({
  openapi: '3.0.3',
  info: {
    title: 'lwm2m-server management API',
    version: '1',
    description:
      'JSON over HTTP. Every route except /api/v1/health and /api/v1/openapi.json needs Authorization: Bearer <token>: the admin token (<data>/admin.token) or a token from POST /api/v1/tokens. Read-only tokens may only GET (403 LWM2M_ERR_FORBIDDEN otherwise). Errors are {"error":{"code":"LWM2M_ERR_...","message":"..."}}.',
  },
  servers: [{ url: 'http://127.0.0.1:8080' }],
  security: [{ bearer: [] }],
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas, responses },
  paths: { ...paths, ...RULES_OPENAPI_PATHS },
});

/** `/api/v1/devices/:ep/objects/*` -> `/api/v1/devices/{ep}/objects/{path}`. */
export function openApiPath(fastifyUrl: string): string {
  return fastifyUrl.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\/\*$/, '/{path}');
}
