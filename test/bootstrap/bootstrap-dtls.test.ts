import test from 'ava';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
import { CoapEndpoint } from '../../src/coap/endpoint.js';
import { DtlsServerTransport } from '../../src/dtls/index.js';
import { EventBus } from '../../src/events.js';
import { parseBootstrapConfig } from '../../src/lwm2m/bootstrap/config-json.js';
import { BootstrapProvisioner } from '../../src/lwm2m/bootstrap/provisioning.js';
import { registrationRoutes } from '../../src/lwm2m/registration/coap-adapter.js';
import { RegistrationService } from '../../src/lwm2m/registration/registration-service.js';
import { routeRequests } from '../../src/lwm2m/router.js';
import { securityRegistrationGuard } from '../../src/security/registration-guard.js';
import { MemorySecurityStore } from '../../src/security/security-memory.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';
import { DtlsClientTransport } from './helpers/dtls-client-transport.js';
import { builtinModels, peerOfUri, plainClient, startBootstrap, udpEndpoint } from './helpers/harness.js';
import { BootstrapClient } from '../../src/sim/bootstrap-client.js';

const BS_KEY = Buffer.from('b0075f00aa55aa55ff00112233445566', 'hex');
const DEV_KEY = Buffer.from('d1e2c3b4a5968778695a4b3c2d1e0ff0', 'hex');

/** The LwM2M server's CoAPs side as the lead wires it: DTLS with the security store, registration guarded by it. */
async function lwm2mCoaps(security: MemorySecurityStore) {
  const transport = await DtlsServerTransport.bind({ host: '127.0.0.1', port: 0, psk: (id) => security.pskKeyFor(id) });
  const coap = new CoapEndpoint({ transport });
  const registrations = new RegistrationService({ store: new MemoryRegistrationStore(), events: new EventBus() });
  registrations.addGuard(securityRegistrationGuard(security));
  coap.onRequest(routeRequests([registrationRoutes(registrations)]));
  return { coap, registrations, uri: `coaps://127.0.0.1:${transport.address().port}`, close: () => coap.close() };
}

test('over DTLS (PSK): bootstrap with the bootstrap credentials, then register over DTLS with the delivered ones', async (t) => {
  const security = new MemorySecurityStore();
  const lw = await lwm2mCoaps(security);
  const logs: string[] = [];
  const logger = createLogger({ level: 'trace', destination: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) });
  const bs = await startBootstrap({ securePort: 0, logger });
  t.teardown(async () => {
    await bs.close();
    await lw.close();
  });
  const provisioner = new BootstrapProvisioner({ configs: bs.configs, security });
  const res = await provisioner.add(
    parseBootstrapConfig({
      endpoint: 'dev-dtls',
      bootstrap: { security: { mode: 'psk', identity: 'bs-dev-dtls', key: BS_KEY.toString('hex') } },
      servers: [{ shortServerId: 3, uri: lw.uri, lifetime: 300, local: true, security: { mode: 'psk', identity: 'dev-dtls-id', key: DEV_KEY.toString('hex') } }],
    }),
  );
  t.deepEqual(res.security, { endpoint: 'dev-dtls', mode: 'psk', identity: 'dev-dtls-id' });
  t.true(security.hasCredentials('dev-dtls'));

  const bsAddr = bs.listeners.coapsAddress()!;
  const bsTransport = await DtlsClientTransport.connect(bsAddr, 'bs-dev-dtls', BS_KEY);
  const bsCoap = new CoapEndpoint({ transport: bsTransport });
  t.teardown(() => bsCoap.close());
  const client = new BootstrapClient({
    endpoint: 'dev-dtls',
    coap: bsCoap,
    bootstrapServer: bsAddr,
    models: await builtinModels(),
    lwm2mVersion: '1.1',
    preferredFormat: 112,
    bootstrapAccount: { instanceId: 0, uri: `coaps://127.0.0.1:${bsAddr.port}`, securityMode: 0, identity: Buffer.from('bs-dev-dtls'), secretKey: BS_KEY },
  });
  await client.bootstrap();
  await bs.service.idle();

  const writes = client.received.filter((r) => r.method === 'PUT');
  t.deepEqual(writes.map((w) => `${w.path} ${w.contentFormat} ${w.code}`), ['/0/1 112 2.04', '/1/0 112 2.04']);
  const account = client.accounts().find((a) => !a.bootstrap)!;
  t.is(account.uri, lw.uri);
  t.is(account.securityMode, 0, 'PSK');
  t.is(account.publicKeyOrIdentity.toString('utf8'), 'dev-dtls-id');
  t.deepEqual(account.secretKey, DEV_KEY);
  t.is(account.shortServerId, 3);
  const [session] = bs.service.sessions('dev-dtls');
  t.is(session?.transport, 'coaps');
  t.is(session?.state, 'finished');

  // Register over DTLS with what was delivered.
  const lwTransport = await DtlsClientTransport.connect(peerOfUri(account.uri), account.publicKeyOrIdentity.toString('utf8'), account.secretKey);
  const lwCoap = new CoapEndpoint({ transport: lwTransport });
  t.teardown(() => lwCoap.close());
  await client.register(account, lwCoap, peerOfUri(account.uri));
  const reg = await lw.registrations.store.getByEndpoint('dev-dtls');
  t.is(reg?.transport, 'coaps');
  t.deepEqual(reg?.identity, { kind: 'psk', identity: 'dev-dtls-id' });
  // The bootstrap server logged the session, and no key.
  const text = logs.join('');
  t.true(text.includes('bootstrap session ended'));
  for (const key of [BS_KEY, DEV_KEY]) t.false(text.includes(key.toString('hex')) || text.includes(key.toString('base64')));
});

test('over DTLS, bootstrap credentials of another endpoint are refused with 4.03, and plain CoAP is refused for an endpoint with credentials', async (t) => {
  const bs = await startBootstrap({ securePort: 0 });
  t.teardown(() => bs.close());
  for (const [ep, id] of [['ep-a', 'bs-a'], ['ep-b', 'bs-b']] as const) {
    await bs.configs.add(parseBootstrapConfig({ endpoint: ep, bootstrap: { security: { mode: 'psk', identity: id, key: BS_KEY.toString('hex') } }, servers: [{ uri: 'coap://127.0.0.1:5683' }] }));
  }
  const bsAddr = bs.listeners.coapsAddress()!;
  const transport = await DtlsClientTransport.connect(bsAddr, 'bs-a', BS_KEY);
  const coap = new CoapEndpoint({ transport });
  t.teardown(() => coap.close());
  const refused = await coap.request(bsAddr, { method: 'POST', path: ['bs'], query: ['ep=ep-b'] });
  t.is(refused.code, '4.03');
  // Without ep, the endpoint is the one the PSK identity is bound to.
  const own = await coap.request(bsAddr, { method: 'POST', path: ['bs'], query: [] });
  t.is(own.code, '2.04');
  await bs.service.idle();
  t.is(bs.service.sessions('ep-a')[0]?.transport, 'coaps');

  const plain = await udpEndpoint();
  t.teardown(() => plain.close());
  const res = await plain.request(bs.listeners.coapAddress(), { method: 'POST', path: ['bs'], query: ['ep=ep-a'] });
  t.is(res.code, '4.03');
  t.regex(res.payload.toString(), /must bootstrap over DTLS/);
  t.is(bs.service.sessions('ep-b').length, 0);
});

test('an unknown bootstrap PSK identity gets no DTLS session at all', async (t) => {
  const bs = await startBootstrap({ securePort: 0 });
  t.teardown(() => bs.close());
  const err = await t.throwsAsync(DtlsClientTransport.connect(bs.listeners.coapsAddress()!, 'nobody', BS_KEY, 1500));
  t.truthy(err);
  // The plain listener still works for plain endpoints.
  await bs.configs.add(parseBootstrapConfig({ endpoint: 'plain', servers: [{ uri: 'coap://127.0.0.1:5683' }] }));
  const { client, coap } = await plainClient(bs.listeners.coapAddress(), { endpoint: 'plain' });
  t.teardown(() => coap.close());
  await client.bootstrap();
  await bs.service.idle();
  t.is(bs.service.sessions('plain')[0]?.state, 'finished');
});
