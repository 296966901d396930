import test from 'ava';
import { CoapEndpoint } from '../../src/coap/endpoint.js';
import { DtlsServerTransport } from '../../src/dtls/index.js';
import { EventBus } from '../../src/events.js';
import { registrationRoutes } from '../../src/lwm2m/registration/coap-adapter.js';
import { RegistrationService } from '../../src/lwm2m/registration/registration-service.js';
import { routeRequests } from '../../src/lwm2m/router.js';
import { sendRoute } from '../../src/lwm2m/send/send-route.js';
import { ModelRegistry } from '../../src/model/registry.js';
import { openOpsLayer } from '../../src/ops/ops-layer.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';
import { DtlsDevice } from './helpers/dtls-device.js';
import { register, sendTemperature } from './helpers/udp-device.js';

const KEYS: Record<string, string> = { 'id-q': 'secret-q', 'id-ok': 'secret-ok' };
const admin = { kind: 'token', name: 'admin' } as const;

async function setup(t: { teardown(fn: () => Promise<void> | void): void }) {
  const transport = await DtlsServerTransport.bind({ host: '127.0.0.1', port: 0, psk: (id) => (KEYS[id] === undefined ? undefined : Buffer.from(KEYS[id]!)) });
  const coap = new CoapEndpoint({ transport });
  const events = new EventBus();
  const store = new MemoryRegistrationStore();
  const registrations = new RegistrationService({ store, events });
  const ops = await openOpsLayer({
    storage: 'memory',
    registrations: store,
    events,
    adminToken: 'admin-secret',
    protection: { enabled: false },
    dtlsStats: () => transport.stats(),
    teardown: { deregister: (ep) => registrations.deregisterEndpoint(ep), closeDtlsSessions: (p) => transport.closeSessions(p) },
  });
  registrations.addGuard(ops.guard);
  coap.onRequest(routeRequests([ops.gate, registrationRoutes(registrations), sendRoute({ registrations: store, models: await ModelRegistry.builtin(), events })]));
  const devices: DtlsDevice[] = [];
  const device = async (identity: string) => {
    const d = await DtlsDevice.connect(transport.address().port, identity, KEYS[identity]!);
    devices.push(d);
    return d;
  };
  t.teardown(async () => {
    for (const d of devices) await d.close();
    await ops.close();
    await coap.close();
  });
  return { transport, ops, store, device };
}

test('over DTLS: quarantine closes the sessions and refuses the identity under any name, until release', async (t) => {
  const { transport, ops, store, device } = await setup(t);
  const dev = await device('id-q');
  t.is((await dev.request(register('dtls-q'))).code, '2.01');
  t.deepEqual((await store.getByEndpoint('dtls-q'))?.identity, { kind: 'psk', identity: 'id-q' });
  const ok = await device('id-ok');
  t.is((await ok.request(register('dtls-ok'))).code, '2.01');
  t.is(transport.sessions().length, 2);

  const rec = await ops.quarantine.quarantine('dtls-q', { reason: 'stolen key', by: admin });
  t.deepEqual(rec.identities, ['psk:id-q']);
  t.is(await store.getByEndpoint('dtls-q'), undefined);
  t.deepEqual(
    transport.sessions().map((s) => s.identity),
    [{ kind: 'psk', identity: 'id-ok' }],
    'only the quarantined identity lost its session',
  );

  // A new handshake from a new port with the same PSK identity: refused by name and by identity.
  const back = await device('id-q');
  t.is((await back.request(register('dtls-q'))).code, '4.03', 'same name');
  t.is((await back.request(register('innocent-name'))).code, '4.03', 'other name, same DTLS identity');
  t.is((await back.request(sendTemperature(1))).code, '4.03', 'Send');
  t.is((await back.request({ method: 'POST', path: ['bs'], query: ['ep=innocent-name'] })).code, '4.03', 'Bootstrap-Request');
  t.is((await ok.request({ method: 'POST', path: ['rd', (await store.getByEndpoint('dtls-ok'))!.id], query: ['lt=300'] })).code, '2.04', 'others are unaffected');

  await ops.quarantine.release('dtls-q', admin);
  t.is((await back.request(register('dtls-q'))).code, '2.01', 'accepted again after release');
  await ops.metrics.refresh();
  t.is(ops.metrics.dtlsHandshakes.get({ result: 'ok' }), 3);
});
