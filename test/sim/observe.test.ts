import test from 'ava';
import type { IncomingResponse } from '../../src/coap/types.js';
import { decode, decodeValues, encodePaths } from '../../src/content/index.js';
import { nodeToValues } from '../../src/content/tree.js';
import { deviceWithServer, waitFor } from './helpers.js';

const temp = (v: number) => ({ type: 'float' as const, value: v });

async function observed(o: Parameters<typeof deviceWithServer>[0] = {}, path = ['3303', '0', '5700'], accept = 0) {
  const h = await deviceWithServer(o);
  const notes: IncomingResponse[] = [];
  const obs = await h.server.coap.observe(h.peer, { method: 'GET', path, accept, timeoutMs: 5000 }, (n) => notes.push(n));
  return { ...h, notes, obs };
}

const settle = () => new Promise((r) => setTimeout(r, 150));

test('Observe: the first answer carries Observe; a change sends a notification with a higher sequence', async (t) => {
  const h = await observed();
  t.teardown(() => h.close());
  t.is(h.obs.response.code, '2.05');
  t.is(typeof h.obs.response.observe, 'number');
  t.is(h.device.observations.size, 1);
  h.device.setValue('/3303/0/5700', temp(23.25));
  await waitFor(() => h.notes.length === 1);
  t.is(h.notes[0]!.payload.toString(), '23.25');
  t.false(h.notes[0]!.confirmable, 'NON by default');
  t.true(h.notes[0]!.observe! > h.obs.response.observe!);
  h.device.setValue('/3303/0/5750', { type: 'string', value: 'x' }); // another resource: no notification
  h.device.setValue('/3303/0/5700', temp(24));
  await waitFor(() => h.notes.length === 2);
  await settle();
  t.is(h.notes.length, 2);
});

test('pmin holds notifications back and sends the latest value when it ends', async (t) => {
  const h = await deviceWithServer();
  t.teardown(() => h.close());
  t.is((await h.request({ method: 'PUT', path: ['3303', '0', '5700'], query: ['pmin=10'] })).code, '2.04');
  const notes: IncomingResponse[] = [];
  await h.server.coap.observe(h.peer, { method: 'GET', path: ['3303', '0', '5700'], accept: 0 }, (n) => notes.push(n));
  h.clock.advance(1000);
  h.device.setValue('/3303/0/5700', temp(22));
  h.device.setValue('/3303/0/5700', temp(22.5));
  await settle();
  t.is(notes.length, 0, 'not before pmin');
  h.clock.advance(9000);
  await waitFor(() => notes.length === 1);
  t.is(notes[0]!.payload.toString(), '22.5');
});

test('pmax sends a notification without any change, every pmax seconds', async (t) => {
  const h = await deviceWithServer();
  t.teardown(() => h.close());
  t.is((await h.request({ method: 'PUT', path: ['3303', '0', '5700'], query: ['pmax=5'] })).code, '2.04');
  const notes: IncomingResponse[] = [];
  await h.server.coap.observe(h.peer, { method: 'GET', path: ['3303', '0', '5700'], accept: 0 }, (n) => notes.push(n));
  h.clock.advance(4900);
  await settle();
  t.is(notes.length, 0);
  h.clock.advance(100);
  await waitFor(() => notes.length === 1);
  h.clock.advance(5000);
  await waitFor(() => notes.length === 2);
  t.is(notes[1]!.payload.toString(), '21.5');
});

test('gt and st: only a threshold crossing or a large enough step is notified', async (t) => {
  const h = await deviceWithServer();
  t.teardown(() => h.close());
  t.is((await h.request({ method: 'PUT', path: ['3303', '0', '5700'], query: ['gt=25', 'st=10'] })).code, '2.04');
  const notes: IncomingResponse[] = [];
  await h.server.coap.observe(h.peer, { method: 'GET', path: ['3303', '0', '5700'], accept: 0 }, (n) => notes.push(n));
  h.device.setValue('/3303/0/5700', temp(23));
  await settle();
  t.is(notes.length, 0, 'below gt, moved less than st');
  h.device.setValue('/3303/0/5700', temp(26));
  await waitFor(() => notes.length === 1);
  h.device.setValue('/3303/0/5700', temp(27));
  await settle();
  t.is(notes.length, 1, 'still above gt');
  h.device.setValue('/3303/0/5700', temp(40));
  await waitFor(() => notes.length === 2, 2000);
});

test('active cancel (GET Observe=1) removes the observation', async (t) => {
  const h = await observed();
  t.teardown(() => h.close());
  await h.obs.cancel('active');
  t.is(h.device.observations.size, 0);
  t.true(h.device.requests.some((r) => r.observe === 1 && r.path === '/3303/0/5700'));
  h.device.setValue('/3303/0/5700', temp(30));
  await settle();
  t.is(h.notes.length, 0);
  t.is(h.device.observations.counters.activeCancels, 1);
});

test('passive cancel: an RST to a CON notification ends the observation on the device', async (t) => {
  const h = await observed({ confirmableNotifications: true });
  t.teardown(() => h.close());
  await h.obs.cancel('passive');
  h.device.setValue('/3303/0/5700', temp(30));
  await waitFor(() => h.device.observations.size === 0);
  t.is(h.device.observations.counters.passiveCancels, 1);
  t.is(h.notes.length, 0);
});

test('a CON notification that is ACKed keeps the observation', async (t) => {
  const h = await observed({ confirmableNotifications: true });
  t.teardown(() => h.close());
  h.device.setValue('/3303/0/5700', temp(30));
  await waitFor(() => h.notes.length === 1);
  t.true(h.notes[0]!.confirmable);
  await settle();
  t.is(h.device.observations.size, 1);
  t.is(h.device.observations.counters.notificationsFailed, 0);
});

test('Observe-Composite (FETCH Observe=0) notifies the listed paths together', async (t) => {
  const h = await deviceWithServer({ lwm2mVersion: '1.1' });
  t.teardown(() => h.close());
  const ctx = h.device.codecContext();
  const notes: IncomingResponse[] = [];
  const payload = Buffer.from(encodePaths(110, [{ objectId: 3303, instanceId: 0, resourceId: 5700 }, { objectId: 3311, instanceId: 0, resourceId: 5850 }], ctx));
  const obs = await h.server.coap.observe(h.peer, { method: 'FETCH', path: [], contentFormat: 110, accept: 110, payload }, (n) => notes.push(n));
  t.is(obs.response.code, '2.05');
  h.device.setValue('/3311/0/5850', { type: 'boolean', value: true });
  await waitFor(() => notes.length === 1);
  t.deepEqual(decodeValues(110, notes[0]!.payload, {}, ctx).map((v) => v.value.value), [21.5, true]);
});

test('changes while asleep are notified after wake-up', async (t) => {
  const h = await observed({ queueMode: true });
  t.teardown(() => h.close());
  h.device.sleep();
  h.device.setValue('/3303/0/5700', temp(19));
  await settle();
  t.is(h.notes.length, 0);
  await h.device.wake();
  await waitFor(() => h.notes.length === 1);
  t.is(h.notes[0]!.payload.toString(), '19');
});

test('a device with 16-byte blocks sends a large notification block-wise and the observer gets all of it', async (t) => {
  const h = await observed({ coap: { BLOCK_SIZE: 16 } }, ['3', '0'], 11542);
  t.teardown(() => h.close());
  const before = h.device.coapStats().datagramsOut;
  t.true(before > 5, 'the first answer came in 16-byte blocks');
  h.device.setValue('/3/0/9', { type: 'integer', value: 42 });
  await waitFor(() => h.notes.length === 1);
  const values = nodeToValues(decode(11542, h.notes[0]!.payload, { objectId: 3, instanceId: 0 }, h.device.codecContext()), { objectId: 3, instanceId: 0 });
  t.deepEqual(values.find((v) => v.path.resourceId === 9)?.value, { type: 'integer', value: 42 });
  t.true(values.length > 15);
  t.true(h.device.coapStats().datagramsOut - before > 5, 'the notification and the rest of its blocks');
});

test('deleting an observed instance ends its observation', async (t) => {
  const h = await observed({}, ['3303', '0'], 11542);
  t.teardown(() => h.close());
  t.is((await h.request({ method: 'DELETE', path: ['3303', '0'] })).code, '2.02');
  await waitFor(() => h.device.observations.size === 0);
  t.pass();
});
