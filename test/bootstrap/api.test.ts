import test from 'ava';
import { Writable } from 'node:stream';
import { EventBus } from '../../src/events.js';
import { buildApi } from '../../src/http/api.js';
import { registerBootstrapRoutes } from '../../src/http/routes/bootstrap-routes.js';
import { createLogger } from '../../src/log.js';
import { BootstrapProvisioner } from '../../src/lwm2m/bootstrap/provisioning.js';
import type { Operation } from '../../src/lwm2m/management/operation.js';
import { RegistrationService } from '../../src/lwm2m/registration/registration-service.js';
import { MemorySecurityStore } from '../../src/security/security-memory.js';
import { MemoryBootstrapConfigStore } from '../../src/store/bootstrap-config-memory.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';

const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const BS_KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const auth = { authorization: 'Bearer t0k3n' };

async function setup() {
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', destination: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) });
  const registrations = new RegistrationService({ store: new MemoryRegistrationStore(), events: new EventBus() });
  const app = await buildApi({ registrations, token: 't0k3n', logger });
  const configs = new MemoryBootstrapConfigStore();
  const security = new MemorySecurityStore();
  const submitted: { endpoint: string; op: Operation }[] = [];
  registerBootstrapRoutes(app, {
    provisioner: new BootstrapProvisioner({ configs, security }),
    registrations: registrations.store,
    submit: async (endpoint, op) => {
      submitted.push({ endpoint, op });
      return { queued: false, result: { ok: true, code: '2.04' } };
    },
  });
  return { app, configs, security, registrations, submitted, logs };
}

const body = {
  servers: [{ uri: 'coaps://127.0.0.1:5684', lifetime: 600, local: true, security: { mode: 'psk', identity: 'dev-1-id', key: KEY } }],
  bootstrap: { security: { mode: 'psk', identity: 'bs-dev-1', key: BS_KEY } },
};

test('PUT a configuration provisions both stores in one step; keys are never returned, listed or logged', async (t) => {
  const { app, configs, security, logs } = await setup();
  const res = await app.inject({ method: 'PUT', url: '/api/v1/bootstrap/configs/dev-1', headers: auth, payload: body });
  t.is(res.statusCode, 201);
  t.deepEqual(res.json().security, { endpoint: 'dev-1', mode: 'psk', identity: 'dev-1-id' });
  t.is((await security.get('dev-1'))?.mode, 'psk');
  t.is(security.pskKeyFor('dev-1-id')?.toString('hex'), KEY);
  t.is(configs.pskKeyFor('bs-dev-1')?.toString('hex'), BS_KEY);

  const again = await app.inject({ method: 'PUT', url: '/api/v1/bootstrap/configs/dev-1', headers: auth, payload: body });
  t.is(again.statusCode, 200);
  t.truthy(again.json().replaced);

  const list = await app.inject({ method: 'GET', url: '/api/v1/bootstrap/configs', headers: auth });
  const show = await app.inject({ method: 'GET', url: '/api/v1/bootstrap/configs/dev-1', headers: auth });
  t.is(list.json().configs[0].endpoint, 'dev-1');
  t.is(show.json().servers[0].security.identity, 'dev-1-id');
  t.is(show.json().servers[0].security.key, undefined);
  for (const text of [res.body, again.body, list.body, show.body, logs.join('')]) {
    t.false(text.includes(KEY) || text.includes(BS_KEY), 'no key in answers or logs');
  }
  t.true(logs.join('').includes('bootstrap configuration stored'));
});

test('invalid configurations get 400 LWM2M_ERR_BAD_API_REQUEST naming the field, never the key', async (t) => {
  const { app, configs, security } = await setup();
  const cases: [unknown, RegExp][] = [
    [{ servers: [] }, /servers must be a non-empty array/],
    [{ servers: [{ uri: 'http://x' }] }, /servers\[0\]\.uri/],
    [{ servers: [{ uri: 'coap://h', security: { mode: 'psk', identity: 'i', key: 'zz-secret' } }] }, /servers\[0\]\.security\.key must be hex/],
    [{ servers: [{ uri: 'coap://h', shortServerId: 0 }] }, /shortServerId/],
    [{ servers: [{ uri: 'coap://h' }], colour: 'red' }, /unknown field "colour"/],
    [{ servers: [{ uri: 'coap://h' }], delete: ['/x'] }, /delete must be an array of paths/],
  ];
  for (const [payload, message] of cases) {
    const res = await app.inject({ method: 'PUT', url: '/api/v1/bootstrap/configs/dev-2', headers: auth, payload: payload as object });
    t.is(res.statusCode, 400);
    t.is(res.json().error.code, 'LWM2M_ERR_BAD_API_REQUEST');
    t.regex(res.json().error.message, message);
    t.false(res.body.includes('zz-secret'));
  }
  t.is(configs.size, 0);
  t.is(security.size, 0);
});

test('when the security store refuses (identity taken), the configuration is not kept either', async (t) => {
  const { app, configs, security } = await setup();
  await security.add({ endpoint: 'someone-else', mode: 'psk', identity: 'dev-1-id', key: Buffer.from(KEY, 'hex') });
  const res = await app.inject({ method: 'PUT', url: '/api/v1/bootstrap/configs/dev-1', headers: auth, payload: body });
  t.is(res.statusCode, 400);
  t.is(await configs.get('dev-1'), undefined);
});

test('DELETE removes the configuration; with ?security=true also the provisioned credentials; unknown is 404', async (t) => {
  const { app, security } = await setup();
  await app.inject({ method: 'PUT', url: '/api/v1/bootstrap/configs/dev-1', headers: auth, payload: body });
  const res = await app.inject({ method: 'DELETE', url: '/api/v1/bootstrap/configs/dev-1?security=true', headers: auth });
  t.is(res.statusCode, 200);
  t.is(res.json().removed.endpoint, 'dev-1');
  t.is(res.json().security.identity, 'dev-1-id');
  t.false(security.hasCredentials('dev-1'));
  const gone = await app.inject({ method: 'DELETE', url: '/api/v1/bootstrap/configs/dev-1', headers: auth });
  t.is(gone.statusCode, 404);
  t.is(gone.json().error.code, 'LWM2M_ERR_NOT_FOUND');
});

test('POST with the endpoint in the body, and the default "*" configuration without credentials', async (t) => {
  const { app, configs } = await setup();
  const res = await app.inject({ method: 'POST', url: '/api/v1/bootstrap/configs', headers: auth, payload: { endpoint: '*', servers: [{ uri: 'coap://127.0.0.1:5683' }] } });
  t.is(res.statusCode, 201);
  t.is((await configs.resolve('anyone'))?.endpoint, '*');
  const withKeys = await app.inject({ method: 'POST', url: '/api/v1/bootstrap/configs', headers: auth, payload: { ...body, endpoint: '*' } });
  t.is(withKeys.statusCode, 400);
  t.regex(withKeys.json().error.message, /default configuration cannot carry per-device credentials/);
});

test('server-initiated bootstrap executes /1/x/9 of the Server instance the device registered', async (t) => {
  const { app, registrations, submitted } = await setup();
  const unknown = await app.inject({ method: 'POST', url: '/api/v1/bootstrap/trigger/dev-9', headers: auth });
  t.is(unknown.statusCode, 404);
  await registrations.register({
    params: { endpoint: 'dev-9', lifetime: 60, lwm2mVersion: '1.1', binding: 'U', queueMode: false },
    links: { rootPath: '/', supportedFormats: [], objectLinks: [{ path: '/1/4', objectId: 1, instanceId: 4 }, { path: '/3/0', objectId: 3, instanceId: 0 }] },
    address: { address: '127.0.0.1', port: 5999 },
    transport: 'coap',
  });
  const res = await app.inject({ method: 'POST', url: '/api/v1/bootstrap/trigger/dev-9', headers: auth });
  t.is(res.statusCode, 200);
  t.deepEqual(submitted, [{ endpoint: 'dev-9', op: { op: 'execute', path: '/1/4/9' } }]);
  await app.inject({ method: 'POST', url: '/api/v1/bootstrap/trigger/dev-9?instance=2', headers: auth });
  t.is(submitted[1]?.op.op === 'execute' ? submitted[1].op.path : '', '/1/2/9');
  const sessions = await app.inject({ method: 'GET', url: '/api/v1/bootstrap/sessions', headers: auth });
  t.is(sessions.statusCode, 503, 'no bootstrap service in this setup');
});
