import test from 'ava';
import { ERROR_CODES } from '../../src/errors.js';
import { EventBus } from '../../src/events.js';
import { buildApi } from '../../src/http/api.js';
import { silentLogger } from '../../src/log.js';
import { RegistrationService } from '../../src/lwm2m/registration/registration-service.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';
import { openApiDocument, openApiPath } from '../../src/http/openapi.js';
import { routesOf } from '../../src/http/routes/openapi-routes.js';
import { registerSecurityRoutes } from '../../src/http/routes/security-routes.js';
import { MemorySecurityStore } from '../../src/security/security-memory.js';
import { startOpsServer } from './helpers/ops-server.js';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { name: string; in: string }[] }>>; components: Record<string, Record<string, unknown>> };
const doc = openApiDocument as unknown as Doc;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Every `$ref` in the document, to check that each points at something that exists. */
function refs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => refs(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.push(x);
      else refs(x, out);
    }
  }
  return out;
}

test('every route the API serves is in the OpenAPI document, and every documented operation is served', async (t) => {
  const { app } = await startOpsServer(t);
  // The security routes are not wired into buildApi yet: they are checked on a second instance.
  const served = routesOf(app)
    .filter((r) => r.method !== 'HEAD')
    .map((r) => `${r.method.toLowerCase()} ${openApiPath(r.url)}`);
  t.true(served.length > 20);

  const bare = await buildApi({ registrations: new RegistrationService({ store: new MemoryRegistrationStore(), events: new EventBus() }), token: 't', logger: silentLogger() });
  registerSecurityRoutes(bare, { store: new MemorySecurityStore() });
  await bare.ready();
  const security = routesOf(bare)
    .filter((r) => r.method !== 'HEAD')
    .map((r) => `${r.method.toLowerCase()} ${openApiPath(r.url)}`);
  await bare.close();

  const all = new Set([...served, ...security]);
  const documented = new Set<string>();
  for (const [p, ops] of Object.entries(doc.paths)) for (const m of Object.keys(ops)) if (METHODS.includes(m)) documented.add(`${m} ${p}`);
  t.deepEqual([...all].filter((r) => !documented.has(r)).sort(), [], 'served but not documented');
  t.deepEqual([...documented].filter((r) => !all.has(r)).sort(), [], 'documented but not served');
});

test('the document is well-formed: path parameters declared, references resolve, error codes are the registry', (t) => {
  for (const [p, ops] of Object.entries(doc.paths)) {
    const inPath = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [m, op] of Object.entries(ops)) {
      const declared = (op.parameters ?? []).filter((x) => x.in === 'path').map((x) => x.name);
      t.deepEqual(declared.sort(), [...inPath].sort(), `${m} ${p} declares its path parameters`);
      t.true(Object.keys(op.responses).length > 0, `${m} ${p} documents its responses`);
    }
  }
  for (const r of refs(doc)) {
    const [, section, name] = /^#\/components\/([^/]+)\/(.+)$/.exec(r) ?? [];
    t.truthy(section && name && doc.components[section!]?.[name!], `${r} resolves`);
  }
  const errorSchema = doc.components.schemas!.Error as { properties: { error: { properties: { code: { enum: string[] } } } } };
  t.deepEqual(errorSchema.properties.error.properties.code.enum, Object.keys(ERROR_CODES));
});

test('GET /api/v1/openapi.json serves the document without a token', async (t) => {
  const { app } = await startOpsServer(t);
  const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  t.is(res.statusCode, 200);
  t.deepEqual(res.json(), JSON.parse(JSON.stringify(openApiDocument)));
});
