import test from 'ava';
import { ERROR_CODES } from '../../src/errors.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { startServer } from '../../src/server.js';
import { openApiDocument, openApiPath } from '../../src/http/openapi.js';
import { routesOf } from '../../src/http/routes/openapi-routes.js';
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

test('every route the server serves is in the OpenAPI document, and every documented operation is served', async (t) => {
  // The server exactly as `lwm2m serve` builds it, with every route registered.
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lwm2m-openapi-'));
  const server = await startServer({ dataDir, storage: 'memory', coap: { port: 0 }, http: { port: 0 }, logLevel: 'silent' }, { logger: silentLogger() });
  t.teardown(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  const served = new Set(
    routesOf(server.api!)
      .filter((r) => r.method !== 'HEAD')
      .map((r) => `${r.method.toLowerCase()} ${openApiPath(r.url)}`),
  );
  t.true(served.size > 40);
  const documented = new Set<string>();
  for (const [p, ops] of Object.entries(doc.paths)) for (const m of Object.keys(ops)) if (METHODS.includes(m)) documented.add(`${m} ${p}`);
  t.deepEqual([...served].filter((r) => !documented.has(r)).sort(), [], 'served but not documented');
  t.deepEqual([...documented].filter((r) => !served.has(r)).sort(), [], 'documented but not served');
  // The document the server serves is this one.
  const res = await fetch(`${server.httpUrl()}/api/v1/openapi.json`);
  t.deepEqual(await res.json(), JSON.parse(JSON.stringify(openApiDocument)));
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
