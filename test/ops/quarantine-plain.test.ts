import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../../src/server.js';
import { register, sendTemperature, UdpDevice } from './helpers/udp-device.js';

const admin = { kind: 'token', name: 'admin' } as const;

/** A full server in memory, with its operations layer as src/server.ts wires it. */
async function setup(t: { teardown(fn: () => Promise<void> | void): void }) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lwm2m-q-'));
  // A 1 ms awake window: a queue-mode device sleeps at once, so requests for it are queued.
  const server = await startServer({ dataDir, storage: 'memory', coap: { port: 0 }, http: { enabled: false }, logLevel: 'silent', queue: { awakeWindowMs: 1 }, protection: { enabled: false } });
  const ops = server.ops;
  const devices: UdpDevice[] = [];
  const device = async () => {
    const d = await UdpDevice.open(server.coapAddress());
    devices.push(d);
    return d;
  };
  t.teardown(async () => {
    for (const d of devices) await d.close();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { server, ops, device };
}

test('quarantine removes the registration, its observations and its queued requests', async (t) => {
  const { server, ops, device } = await setup(t);
  const dev = await device();
  const res = await dev.request(register('dev-q', ['Q']));
  t.is(res.code, '2.01');
  const reg = (await server.stores.registrations.getByEndpoint('dev-q'))!;
  await server.stores.observations.add({ token: 'aabbccdd', endpoint: 'dev-q', registrationId: reg.id, paths: ['/3303/0/5700'], composite: false, peer: reg.address, createdAt: Date.now() });
  await new Promise((r) => setTimeout(r, 5));
  const queued = await server.dispatcher.submit('dev-q', { op: 'read', path: '/3/0/0' });
  t.true(queued.queued);
  const deregistered: string[] = [];
  server.events.on('deregistered', ({ registration, by }) => deregistered.push(`${registration.endpoint}:${by}`));

  const rec = await ops.quarantine.quarantine('dev-q', { reason: 'tampering', by: admin });
  t.deepEqual(rec.addresses, [`127.0.0.1:${dev.port}`]);
  t.deepEqual(rec.registrationIds, [reg.id]);
  t.is(await server.stores.registrations.getByEndpoint('dev-q'), undefined);
  t.deepEqual(deregistered, ['dev-q:operator']);
  t.deepEqual(await server.stores.observations.listByEndpoint('dev-q'), []);
  t.is(await server.stores.queue.depth('dev-q'), 0);
  t.is((await server.dispatcher.get(queued.queued ? queued.request.id : ''))?.status, 'cancelled');
});

test('a quarantined device is refused 4.03 on Register, Update, De-register, Send and Bootstrap, from its address and from a new one', async (t) => {
  const { ops, device } = await setup(t);
  const dev = await device();
  const reg = await dev.request(register('dev-q'));
  t.is(reg.code, '2.01');
  const location = reg.locationPath;
  t.is((await dev.request(sendTemperature(20))).code, '2.04');
  await ops.quarantine.quarantine('dev-q', { reason: 'test', by: admin });

  // From the address it registered from.
  t.is((await dev.request(register('dev-q'))).code, '4.03', 'Register by name');
  t.is((await dev.request({ method: 'POST', path: location, query: ['lt=300'] })).code, '4.03', 'Update');
  t.is((await dev.request({ method: 'DELETE', path: location })).code, '4.03', 'De-register');
  t.is((await dev.request(sendTemperature(21))).code, '4.03', 'Send');
  t.is((await dev.request({ method: 'POST', path: ['bs'], query: ['ep=dev-q'] })).code, '4.03', 'Bootstrap-Request');
  t.is((await dev.request(register('another-name'))).code, '4.03', 'Register under another name from the quarantined address');

  // From a new address.
  const moved = await device();
  t.is((await moved.request(register('dev-q'))).code, '4.03', 'Register by name from a new address');
  t.is((await moved.request({ method: 'POST', path: location, query: ['lt=300'] })).code, '4.03', 'Update of its registration from a new address');
  t.is((await moved.request({ method: 'POST', path: ['bs'], query: ['ep=dev-q'] })).code, '4.03', 'Bootstrap-Request from a new address');

  // Another device is not affected.
  const other = await device();
  t.is((await other.request(register('dev-ok'))).code, '2.01');
});

test('a quarantine binds every address the device registered or updated from, not only its last', async (t) => {
  const { server, ops, device } = await setup(t);
  const [a, b, c] = [await device(), await device(), await device()];
  t.is((await a.request(register('dev-m'))).code, '2.01');
  const location = ['rd', server.stores.registrations.getByEndpoint('dev-m')!.id];
  // LwM2M 1.1 Transport §6.4.2: the registration follows the address of each Update.
  t.is((await b.request({ method: 'POST', path: location, query: [] })).code, '2.04');
  t.is((await b.request({ method: 'POST', path: location, query: ['lt=300'] })).code, '2.04', 'an Update from the same address');
  t.is((await c.request({ method: 'POST', path: location, query: [] })).code, '2.04');
  t.is(server.stores.registrations.getByEndpoint('dev-m')!.address.port, c.port);
  const rec = await ops.quarantine.quarantine('dev-m', { reason: 'test', by: admin });
  t.deepEqual([...rec.addresses].sort(), [a, b, c].map((d) => `127.0.0.1:${d.port}`).sort());
  for (const d of [a, b, c]) t.is((await d.request(register(`other-${d.port}`))).code, '4.03', `Register under another name from ${d.port}`);
});

test('a quarantine binds the addresses of registrations replaced or gone', async (t) => {
  const { server, ops, device } = await setup(t);
  const [a, b, c] = [await device(), await device(), await device()];
  // Registered from a, registered again (replacing it) from b, de-registered from b.
  t.is((await a.request(register('dev-gone'))).code, '2.01');
  t.is((await b.request(register('dev-gone'))).code, '2.01');
  const location = ['rd', server.stores.registrations.getByEndpoint('dev-gone')!.id];
  t.is((await b.request({ method: 'DELETE', path: location, query: [] })).code, '2.02');
  t.is(server.stores.registrations.getByEndpoint('dev-gone'), undefined);
  const rec = await ops.quarantine.quarantine('dev-gone', { reason: 'test', by: admin });
  t.deepEqual([...rec.addresses].sort(), [a, b].map((d) => `127.0.0.1:${d.port}`).sort());
  t.is((await a.request(register('other-a'))).code, '4.03');
  t.is((await b.request(register('other-b'))).code, '4.03');
  t.is((await c.request(register('other-c'))).code, '2.01');
});

test('after release the device registers and sends again', async (t) => {
  const { server, ops, device } = await setup(t);
  const dev = await device();
  t.is((await dev.request(register('dev-q'))).code, '2.01');
  await ops.quarantine.quarantine('dev-q', { reason: 'test', by: admin });
  t.is((await dev.request(register('dev-q'))).code, '4.03');
  await ops.quarantine.release('dev-q', admin);

  t.is((await dev.request(register('dev-q'))).code, '2.01');
  t.is((await dev.request(sendTemperature(22.5))).code, '2.04');
  t.is((await server.stores.objects.latest('dev-q', '/3303/0/5700'))[0]?.value.value, 22.5);
  const moved = await device();
  t.is((await moved.request(register('dev-q'))).code, '2.01', 'from a new address too');
  t.deepEqual((await ops.audit.list()).map((e) => `${e.action} ${e.target}`), ['quarantine dev-q', 'release dev-q']);
});

test('the registration guard refuses a quarantined endpoint even without the CoAP gate', async (t) => {
  const { server, ops } = await setup(t);
  await ops.quarantine.quarantine('dev-g', { reason: 'test', by: admin });
  const err = await t.throwsAsync(
    server.registrations.register({
      params: { endpoint: 'dev-g', lifetime: 60, lwm2mVersion: '1.1', binding: 'U', queueMode: false },
      links: { rootPath: '/', supportedFormats: [], objectLinks: [] },
      address: { address: '127.0.0.1', port: 9 },
      transport: 'coap',
    }),
  );
  t.is((err as { coapCode?: string }).coapCode, '4.03');
});
