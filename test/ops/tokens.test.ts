import test from 'ava';
import { startOpsServer } from './helpers/ops-server.js';

const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

test('a read-only token reads but may not act: 403 with a coded error', async (t) => {
  const { app, token } = await startOpsServer(t);
  const created = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: json(token), payload: { name: 'grafana', readOnly: true } });
  t.is(created.statusCode, 201);
  const ro = created.json<{ token: string; name: string; readOnly: boolean }>();
  t.true(ro.token.startsWith('lwm2m_'));
  t.true(ro.readOnly);

  t.is((await app.inject({ method: 'GET', url: '/api/v1/devices', headers: auth(ro.token) })).statusCode, 200);
  t.is((await app.inject({ method: 'GET', url: '/metrics', headers: auth(ro.token) })).statusCode, 200);
  for (const [method, url] of [
    ['POST', '/api/v1/devices/dev-1/quarantine'],
    ['DELETE', '/api/v1/devices/dev-1'],
    ['PUT', '/api/v1/devices/dev-1/objects/3/0/14'],
    ['POST', '/api/v1/tokens'],
  ] as const) {
    const res = await app.inject(method === 'DELETE' ? { method, url, headers: auth(ro.token) } : { method, url, headers: json(ro.token), payload: {} });
    t.is(res.statusCode, 403, `${method} ${url}`);
    t.deepEqual(res.json(), { error: { code: 'LWM2M_ERR_FORBIDDEN', message: 'token "grafana" is read-only' } });
  }
});

test('tokens are stored hashed, listed without secrets, and stop working when revoked; the admin token stays valid', async (t) => {
  const { app, token, ops } = await startOpsServer(t);
  const created = (await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: json(token), payload: { name: 'ci' } })).json<{ id: string; token: string }>();
  const list = await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: auth(created.token) });
  t.is(list.statusCode, 200);
  t.false(list.body.includes(created.token), 'the secret is never listed');
  t.deepEqual(list.json<{ tokens: { name: string; readOnly: boolean }[] }>().tokens.map((k) => [k.name, k.readOnly]), [['ci', false]]);
  const dup = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: json(token), payload: { name: 'ci' } });
  t.is(dup.statusCode, 400);

  // A full token may act: its name is in the audit log.
  const q = await app.inject({ method: 'POST', url: '/api/v1/devices/dev-9/quarantine', headers: json(created.token), payload: { reason: 'flooding' } });
  t.is(q.statusCode, 200);
  const revoke = await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${created.id}`, headers: auth(token) });
  t.is(revoke.statusCode, 200);
  t.is((await app.inject({ method: 'GET', url: '/api/v1/devices', headers: auth(created.token) })).statusCode, 401);
  t.is((await app.inject({ method: 'GET', url: '/api/v1/devices', headers: auth(token) })).statusCode, 200);

  const audit = (await ops.audit.list()).map((e) => `${e.actor.kind === 'token' ? e.actor.name : 'system'} ${e.action} ${e.target ?? ''}`.trim());
  t.deepEqual(audit, ['admin token.create ci', 'ci quarantine dev-9', 'admin token.revoke ci']);
});

test('every acting API request is audited with its token; GET /api/v1/audit pages and filters by time', async (t) => {
  const { app, token } = await startOpsServer(t);
  await app.inject({ method: 'PUT', url: '/api/v1/devices/dev-1/tags', headers: json(token), payload: { street: '5' } });
  await app.inject({ method: 'DELETE', url: '/api/v1/devices/nobody', headers: auth(token) });
  await app.inject({ method: 'POST', url: '/api/v1/devices/dev-1/quarantine', headers: json(token), payload: {} });
  await app.inject({ method: 'DELETE', url: '/api/v1/devices/dev-1/quarantine', headers: auth(token) });
  const page1 = (await app.inject({ method: 'GET', url: '/api/v1/audit?limit=2', headers: auth(token) })).json<{ entries: { action: string; target: string; details: Record<string, unknown> }[]; nextCursor: string }>();
  t.deepEqual(page1.entries.map((e) => `${e.action} ${e.target}`), ['tag dev-1', 'DELETE /api/v1/devices/:ep nobody']);
  t.is(page1.entries[1]!.details.status, 404, 'refused actions are audited too');
  const page2 = (await app.inject({ method: 'GET', url: `/api/v1/audit?limit=2&cursor=${page1.nextCursor}`, headers: auth(token) })).json<{ entries: { action: string }[]; nextCursor?: string }>();
  t.deepEqual(page2.entries.map((e) => e.action), ['quarantine', 'release']);
  t.is(page2.nextCursor, undefined);
  const future = (await app.inject({ method: 'GET', url: `/api/v1/audit?since=${Date.now() + 60_000}`, headers: auth(token) })).json<{ entries: unknown[] }>();
  t.deepEqual(future.entries, []);
});
