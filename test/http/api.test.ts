import test from 'ava';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { EventBus } from '../../src/events.js';
import { ensureAdminToken } from '../../src/http/admin-token.js';
import { buildApi } from '../../src/http/api.js';
import { silentLogger } from '../../src/log.js';
import { RegistrationService } from '../../src/lwm2m/registration/registration-service.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';

async function setup() {
  const registrations = new RegistrationService({ store: new MemoryRegistrationStore(), events: new EventBus(), clock: new ManualClock(Date.UTC(2026, 0, 1)), newId: () => 'abc123' });
  const app = await buildApi({ registrations, token: 'secret-token', logger: silentLogger() });
  await registrations.register({
    params: { endpoint: 'dev-1', lifetime: 60, lwm2mVersion: '1.1', binding: 'UQ', queueMode: true },
    links: { rootPath: '/', supportedFormats: [112], objectLinks: [{ path: '/3', objectId: 3, version: '1.2' }, { path: '/3/0', objectId: 3, instanceId: 0 }] },
    address: { address: '127.0.0.1', port: 5999 },
    transport: 'coap',
  });
  return { app, registrations };
}

const auth = { authorization: 'Bearer secret-token' };

test('requests without the bearer token, or with a wrong one, get 401 and a coded error', async (t) => {
  const { app } = await setup();
  for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'secret-token' }]) {
    const res = await app.inject({ method: 'GET', url: '/api/v1/devices', headers });
    t.is(res.statusCode, 401);
    t.deepEqual(res.json(), { error: { code: 'LWM2M_ERR_UNAUTHENTICATED_API', message: 'missing or invalid API token' } });
  }
  const health = await app.inject({ method: 'GET', url: '/api/v1/health' });
  t.is(health.statusCode, 200);
});

test('GET /api/v1/devices and /devices/{ep} return the documented device shape', async (t) => {
  const { app } = await setup();
  const list = await app.inject({ method: 'GET', url: '/api/v1/devices', headers: auth });
  t.is(list.statusCode, 200);
  const one = await app.inject({ method: 'GET', url: '/api/v1/devices/dev-1', headers: auth });
  t.deepEqual(list.json(), { devices: [one.json()] });
  t.deepEqual(one.json(), {
    endpoint: 'dev-1',
    registrationId: 'abc123',
    lwm2mVersion: '1.1',
    lifetime: 60,
    binding: 'UQ',
    queueMode: true,
    address: '127.0.0.1:5999',
    transport: 'coap',
    rootPath: '/',
    supportedFormats: [112],
    objects: [{ path: '/3', version: '1.2' }, { path: '/3/0' }],
    registeredAt: '2026-01-01T00:00:00.000Z',
    lastUpdate: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T00:01:00.000Z',
  });
});

test('unknown devices and routes are 404 with a coded error', async (t) => {
  const { app } = await setup();
  const res = await app.inject({ method: 'GET', url: '/api/v1/devices/nope', headers: auth });
  t.is(res.statusCode, 404);
  t.is(res.json<{ error: { code: string } }>().error.code, 'LWM2M_ERR_UNKNOWN_DEVICE');
  const route = await app.inject({ method: 'GET', url: '/api/v1/nothing', headers: auth });
  t.is(route.statusCode, 404);
  t.is(route.json<{ error: { code: string } }>().error.code, 'LWM2M_ERR_NOT_FOUND');
});

test('DELETE /api/v1/devices/{ep} de-registers the device', async (t) => {
  const { app, registrations } = await setup();
  const res = await app.inject({ method: 'DELETE', url: '/api/v1/devices/dev-1', headers: auth });
  t.is(res.statusCode, 200);
  t.is(res.json<{ deregistered: { endpoint: string } }>().deregistered.endpoint, 'dev-1');
  t.is(await registrations.store.getByEndpoint('dev-1'), undefined);
  const again = await app.inject({ method: 'DELETE', url: '/api/v1/devices/dev-1', headers: auth });
  t.is(again.statusCode, 404);
});

test('the admin token is created once with mode 0600 and reused', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-token-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const first = await ensureAdminToken(dir);
  t.regex(first, /^[A-Za-z0-9_-]{32}$/);
  t.is((await stat(path.join(dir, 'admin.token'))).mode & 0o777, 0o600);
  t.is(await ensureAdminToken(dir), first);
});
