import test from 'ava';
import { ManualClock } from '../../src/clock.js';
import { parseRegistrationLinks } from '../../src/content/registration-links.js';
import { Fleet } from '../../src/sim/fleet.js';
import { SimulatedDevice } from '../../src/sim/simulated-device.js';
import { sharedModels } from '../helpers/management.js';
import { deviceWithServer, rawServer, waitFor } from './helpers.js';

test('Register: POST /rd with ep, lt, lwm2m, b and a link list with the root link, ct and object versions', async (t) => {
  const h = await deviceWithServer({ endpoint: 'reg-1', lifetime: 120, lwm2mVersion: '1.1', supportedFormats: [110, 112] });
  t.teardown(() => h.close());
  const reg = h.server.received[0]!;
  t.is(reg.method, 'POST');
  t.deepEqual(reg.path, ['rd']);
  t.deepEqual(reg.query, ['ep=reg-1', 'lt=120', 'lwm2m=1.1', 'b=U']);
  t.is(reg.contentFormat, 40);
  const text = reg.payload.toString();
  t.true(text.startsWith('</>;rt="oma.lwm2m";ct="110 112"'), text);
  const links = parseRegistrationLinks(text);
  t.deepEqual(links.supportedFormats, [110, 112]);
  t.is(links.objectVersions.get(3), '1.2');
  t.true(links.objectLinks.some((l) => l.path.objectId === 3303 && l.path.instanceId === 0));
  t.is(h.device.registrationId, 'r1');
});

test('queue mode is announced as b=UQ in 1.0 and as Q in 1.1', async (t) => {
  const server = await rawServer();
  t.teardown(() => server.close());
  const models = await sharedModels();
  const a = await SimulatedDevice.start({ endpoint: 'q10', lwm2mVersion: '1.0', queueMode: true, server: server.address(), models });
  const b = await SimulatedDevice.start({ endpoint: 'q11', lwm2mVersion: '1.1', queueMode: true, server: server.address(), models });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  t.deepEqual(server.received[0]!.query, ['ep=q10', 'lt=300', 'lwm2m=1.0', 'b=UQ']);
  t.deepEqual(server.received[1]!.query, ['ep=q11', 'lt=300', 'lwm2m=1.1', 'b=U', 'Q']);
  t.false(server.received[0]!.payload.toString().includes('ct='), '1.0 announces no ct');
});

test('Update goes out before the lifetime ends, driven by the injected clock', async (t) => {
  const clock = new ManualClock(Date.now());
  const h = await deviceWithServer({ endpoint: 'upd', lifetime: 60, clock });
  t.teardown(() => h.close());
  clock.advance(50_000);
  t.is(h.server.received.length, 1, 'nothing before 90 % of the lifetime');
  clock.advance(4_000);
  await waitFor(() => h.server.received.length === 2);
  const upd = h.server.received[1]!;
  t.is(upd.method, 'POST');
  t.deepEqual(upd.path, ['rd', 'r1']);
  t.is(upd.payload.length, 0, 'no links when nothing changed');
  await waitFor(() => h.device.registration.updates === 1);
});

test('an Update answered 4.04 makes the device register again', async (t) => {
  const h = await deviceWithServer({ endpoint: 'forgotten' });
  t.teardown(() => h.close());
  h.server.answer((req) => (req.method === 'POST' && req.path.length === 2 ? { code: '4.04' } : undefined));
  await h.device.update();
  t.deepEqual(h.server.received.map((r) => `${r.method} /${r.path.join('/')}`), ['POST /rd', 'POST /rd/r1', 'POST /rd']);
  t.is(h.device.registrationId, 'r2');
});

test('stop de-registers with DELETE on the registration location', async (t) => {
  const h = await deviceWithServer({ endpoint: 'bye' });
  await h.device.stop();
  t.teardown(() => h.server.close());
  const last = h.server.received[h.server.received.length - 1]!;
  t.is(last.method, 'DELETE');
  t.deepEqual(last.path, ['rd', 'r1']);
});

test('a Register refused by the server rejects start() and closes the socket', async (t) => {
  const server = await rawServer();
  t.teardown(() => server.close());
  server.answer(() => ({ code: '4.12' }));
  const err = await t.throwsAsync(SimulatedDevice.start({ endpoint: 'refused', lwm2mVersion: '1.2', server: server.address(), models: await sharedModels() }));
  t.regex(err!.message, /4\.12/);
});

test('a Fleet registers many devices sharing one models instance, and stops them all', async (t) => {
  const server = await rawServer();
  t.teardown(() => server.close());
  const fleet = await Fleet.start({ server: server.address(), models: await sharedModels(), count: 20, prefix: 'fl-', concurrency: 5 });
  t.is(fleet.size, 20);
  t.deepEqual(new Set(server.received.map((r) => r.query[0])).size, 20);
  t.true(fleet.devices.every((d) => d.registrationId !== undefined));
  await fleet.stop();
  t.is(server.received.filter((r) => r.method === 'DELETE').length, 20);
  await t.throwsAsync(Fleet.start({ server: server.address(), models: await sharedModels(), count: 0 }), { instanceOf: RangeError });
});
