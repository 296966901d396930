import test from 'ava';
import { ManualClock } from '../../src/clock.js';
import { Lwm2mError } from '../../src/errors.js';
import { EventBus, type ServerEventMap } from '../../src/events.js';
import { RegistrationService, type RegisterRequest } from '../../src/lwm2m/registration/registration-service.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';

function setup() {
  const clock = new ManualClock(1_000_000);
  const events = new EventBus();
  const seen: string[] = [];
  for (const name of ['registered', 'updated', 'deregistered', 'expired'] as const) {
    events.on(name, (e: ServerEventMap[typeof name]) => seen.push(`${name}:${e.registration.endpoint}`));
  }
  let n = 0;
  const service = new RegistrationService({ store: new MemoryRegistrationStore(), events, clock, expiryGraceMs: 1000, sweepIntervalMs: 500, newId: () => `id${++n}` });
  return { clock, service, seen };
}

function req(endpoint: string, lifetime = 60, port = 50000): RegisterRequest {
  return {
    params: { endpoint, lifetime, lwm2mVersion: '1.1', binding: 'U', queueMode: false },
    links: { rootPath: '/', supportedFormats: [], objectLinks: [{ path: '/3/0', objectId: 3, instanceId: 0 }] },
    address: { address: '127.0.0.1', port },
    transport: 'coap',
  };
}

test('register stores the device and emits registered', async (t) => {
  const { service, seen, clock } = setup();
  const reg = await service.register(req('a'));
  t.is(reg.id, 'id1');
  t.is(reg.expiresAt, clock.now() + 60_000);
  t.deepEqual(seen, ['registered:a']);
  t.is((await service.store.getByEndpoint('a'))?.id, 'id1');
});

test('a second Register of the same endpoint replaces the first', async (t) => {
  const { service } = setup();
  await service.register(req('a'));
  await service.register(req('a', 60, 50001));
  const all = await service.store.list();
  t.is(all.length, 1);
  t.is(all[0]!.id, 'id2');
  t.is(all[0]!.address.port, 50001);
});

test('update extends the lifetime from now and follows the source address', async (t) => {
  const { service, clock, seen } = setup();
  await service.register(req('a'));
  clock.advance(30_000);
  const up = await service.update('id1', { params: { lifetime: 100 }, address: { address: '127.0.0.1', port: 50009 } });
  t.is(up.expiresAt, clock.now() + 100_000);
  t.is(up.address.port, 50009);
  t.deepEqual(seen, ['registered:a', 'updated:a']);
});

test('update and de-register of an unknown id are 4.04', async (t) => {
  const { service } = setup();
  const e1 = await t.throwsAsync(service.update('nope', { params: {}, address: { address: '127.0.0.1', port: 1 } }));
  t.is((e1 as Lwm2mError).coapCode, '4.04');
  const e2 = await t.throwsAsync(service.deregister('nope'));
  t.is((e2 as Lwm2mError).coapCode, '4.04');
});

test('a registration expires after lifetime plus grace, not before', async (t) => {
  const { service, clock, seen } = setup();
  await service.start();
  await service.register(req('a', 10));
  clock.advance(10_500);
  await new Promise((r) => setImmediate(r));
  t.truthy(await service.store.getByEndpoint('a'));
  clock.advance(1000);
  await new Promise((r) => setImmediate(r));
  t.is(await service.store.getByEndpoint('a'), undefined);
  t.deepEqual(seen, ['registered:a', 'expired:a']);
  service.stop();
});

test('a guard can refuse a registration', async (t) => {
  const { service } = setup();
  service.addGuard(({ endpoint }) => {
    if (endpoint === 'bad') throw new Lwm2mError('LWM2M_ERR_FORBIDDEN', 'no');
  });
  const e = await t.throwsAsync(service.register(req('bad')));
  t.is((e as Lwm2mError).coapCode, '4.03');
  t.is(await service.store.getByEndpoint('bad'), undefined);
});

test('operator de-registration by endpoint', async (t) => {
  const { service, seen } = setup();
  await service.register(req('a'));
  await service.deregisterEndpoint('a');
  t.deepEqual(seen, ['registered:a', 'deregistered:a']);
  const e = await t.throwsAsync(service.deregisterEndpoint('a'));
  t.is((e as Lwm2mError).code, 'LWM2M_ERR_UNKNOWN_DEVICE');
});
