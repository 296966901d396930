import test from 'ava';
import { ManualClock } from '../../src/clock.js';
import type { IncomingResponse, OutgoingRequest } from '../../src/coap/types.js';
import { Lwm2mError } from '../../src/errors.js';
import { EventBus, type ServerEventMap } from '../../src/events.js';
import { DeviceManager } from '../../src/lwm2m/management/device-manager.js';
import type { Operation } from '../../src/lwm2m/management/operation.js';
import type { DevicePort } from '../../src/lwm2m/management/device-port.js';
import { ObservationService } from '../../src/lwm2m/observe/observation-service.js';
import { RequestDispatcher } from '../../src/lwm2m/queue/dispatcher.js';
import { Presence } from '../../src/lwm2m/queue/presence.js';
import { ModelRegistry } from '../../src/model/registry.js';
import { MemoryObjectStore } from '../../src/store/object-store-memory.js';
import { MemoryObservationStore } from '../../src/store/observation-memory.js';
import { MemoryRequestQueueStore } from '../../src/store/queue-memory.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';
import { registration } from '../_suites/registration-store.js';

const models = await ModelRegistry.builtin();

/** A device port that answers every request from a script and records what was sent. */
function fakePort(answer: (req: OutgoingRequest) => IncomingResponse | 'timeout') {
  const sent: OutgoingRequest[] = [];
  const port: DevicePort = {
    async request(peer, req) {
      sent.push(req);
      const a = answer(req);
      if (a === 'timeout') throw new Lwm2mError('LWM2M_ERR_TIMEOUT');
      return { ...a, peer };
    },
    observe: () => Promise.reject(new Error('not used')),
    attachObservation: () => undefined,
    detachObservation: () => false,
    cancelObservation: async () => undefined,
  };
  return { port, sent };
}

const text = (s: string): IncomingResponse => ({ code: '2.05', contentFormat: 0, payload: Buffer.from(s), locationPath: [], peer: { address: '', port: 0 }, token: Buffer.alloc(0), confirmable: false });
const changed: IncomingResponse = { code: '2.04', payload: Buffer.alloc(0), locationPath: [], peer: { address: '', port: 0 }, token: Buffer.alloc(0), confirmable: false };

async function setup(answer: (req: OutgoingRequest) => IncomingResponse | 'timeout', queue = new MemoryRequestQueueStore()) {
  const clock = new ManualClock(1_700_000_000_000);
  const events = new EventBus();
  const registrations = new MemoryRegistrationStore();
  await registrations.add(registration({ endpoint: 'sleepy', queueMode: true, lwm2mVersion: '1.1', supportedFormats: [] }));
  await registrations.add(registration({ id: 'r2', endpoint: 'awake', address: { address: '127.0.0.1', port: 2 } }));
  const objectStore = new MemoryObjectStore();
  const { port, sent } = fakePort(answer);
  const manager = new DeviceManager({ port, registrations, models, events, objectStore, clock });
  const observations = new ObservationService({ port, registrations, observations: new MemoryObservationStore(), models, events, clock });
  const presence = new Presence({ clock, awakeWindowMs: 10_000 });
  const dispatcher = new RequestDispatcher({ registrations, manager, observations, queue, presence, events, clock });
  const results: ServerEventMap['request-result'][] = [];
  events.on('request-result', (e) => results.push(e));
  return { clock, dispatcher, sent, results, objectStore, queue, presence };
}

test('requests to an awake device run at once and the values land in the object store', async (t) => {
  const { dispatcher, sent, objectStore } = await setup(() => text('Open Mobile Alliance'));
  const s = await dispatcher.submit('awake', { op: 'read', path: '/3/0/0' });
  t.false(s.queued);
  t.deepEqual(sent.map((r) => r.path), [['3', '0', '0']]);
  const latest = await objectStore.latest('awake');
  t.deepEqual(latest.map((v) => [v.path, v.value, v.source]), [['/3/0/0', { type: 'string', value: 'Open Mobile Alliance' }, 'read']]);
});

test('a sleeping queue-mode device gets its requests queued, then delivered in order when it wakes', async (t) => {
  const { dispatcher, sent, results } = await setup((req) => (req.method === 'GET' ? text('42') : changed));
  const ids: string[] = [];
  const ops: Operation[] = [
    { op: 'write', path: '/3/0/14', mode: 'replace', values: [{ path: '/3/0/14', value: { type: 'string', value: '+01' } }] },
    { op: 'read', path: '/3/0/9' },
    { op: 'execute', path: '/3/0/4' },
  ];
  for (const op of ops) {
    const s = await dispatcher.submit('sleepy', op);
    t.true(s.queued);
    if (s.queued) ids.push(s.request.id);
  }
  t.is(sent.length, 0, 'nothing is sent while the device sleeps');
  dispatcher.wake('sleepy');
  await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(sent.map((r) => `${r.method} /${r.path.join('/')}`), ['PUT /3/0/14', 'GET /3/0/9', 'POST /3/0/4']);
  t.deepEqual(results.map((r) => [r.request.id, r.request.status, r.result.ok]), ids.map((id) => [id, 'succeeded', true]));
  const read = await dispatcher.get(ids[1]!);
  t.deepEqual((read?.result as { values?: unknown })?.values, [{ path: '/3/0/9', value: { type: 'integer', value: 42 } }]);
});

test('a queued request that times out goes back to the queue for the next wake-up', async (t) => {
  let online = false;
  const { dispatcher, sent, results, queue } = await setup(() => (online ? changed : 'timeout'));
  const s = await dispatcher.submit('sleepy', { op: 'execute', path: '/3/0/4' });
  t.true(s.queued);
  dispatcher.wake('sleepy');
  await new Promise((r) => setTimeout(r, 20));
  t.is(sent.length, 1);
  t.is(results.length, 0);
  t.is(await queue.depth('sleepy'), 1, 'still pending');
  online = true;
  dispatcher.wake('sleepy');
  await new Promise((r) => setTimeout(r, 20));
  t.is(sent.length, 2);
  t.deepEqual(results.map((r) => r.request.status), ['succeeded']);
});

test('the device counts as asleep again after the awake window', async (t) => {
  const { dispatcher, clock, presence } = await setup(() => changed);
  dispatcher.wake('sleepy');
  await new Promise((r) => setTimeout(r, 5));
  t.true(presence.isAwake('sleepy'));
  t.false((await dispatcher.submit('sleepy', { op: 'execute', path: '/3/0/4' })).queued);
  clock.advance(10_001);
  t.false(presence.isAwake('sleepy'));
  t.true((await dispatcher.submit('sleepy', { op: 'execute', path: '/3/0/4' })).queued);
});

test('queued requests expire after their TTL with a timeout result', async (t) => {
  const { dispatcher, clock, results } = await setup(() => changed);
  dispatcher.start();
  t.teardown(() => dispatcher.stop());
  const s = await dispatcher.submit('sleepy', { op: 'execute', path: '/3/0/4' }, { ttlMs: 1000 });
  t.true(s.queued);
  clock.advance(6000);
  await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(results.map((r) => [r.request.status, r.result.error?.code]), [['expired', 'LWM2M_ERR_TIMEOUT']]);
});

test('an unknown device is a result, not an exception', async (t) => {
  const { dispatcher } = await setup(() => changed);
  const s = await dispatcher.submit('nobody', { op: 'read', path: '/3/0' });
  t.deepEqual(s, { queued: false, result: { ok: false, error: { code: 'LWM2M_ERR_UNKNOWN_DEVICE', message: 'no device "nobody" is registered' } } });
});

/** A queue whose enqueue waits until released (a LevelDB write still in progress). */
class SlowQueue extends MemoryRequestQueueStore {
  release: () => void = () => undefined;
  override async enqueue(r: Parameters<MemoryRequestQueueStore['enqueue']>[0]): Promise<void> {
    await new Promise<void>((resolve) => (this.release = resolve));
    return super.enqueue(r);
  }
}

test('a device that wakes while its request is still being queued gets it delivered', async (t) => {
  const queue = new SlowQueue();
  const { dispatcher, sent, results } = await setup(() => changed, queue);
  const submitted = dispatcher.submit('sleepy', { op: 'execute', path: '/3/0/4' });
  await new Promise((r) => setTimeout(r, 5));
  // The device shows itself awake before the store has the request: nothing to deliver yet.
  dispatcher.wake('sleepy');
  await new Promise((r) => setTimeout(r, 5));
  t.is(sent.length, 0);
  queue.release();
  t.true((await submitted).queued);
  await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(sent.map((r) => `${r.method} /${r.path.join('/')}`), ['POST /3/0/4'], 'delivered while the device is still awake');
  t.deepEqual(results.map((r) => r.request.status), ['succeeded']);
});

test('an operator cancels a waiting request: it is never sent, its result says so, the others are delivered in order', async (t) => {
  const { dispatcher, sent, results } = await setup(() => changed);
  const ids: string[] = [];
  for (const path of ['/3/0/4', '/3/0/5', '/3311/0/5850']) {
    const s = await dispatcher.submit('sleepy', { op: 'execute', path });
    if (s.queued) ids.push(s.request.id);
  }
  t.deepEqual((await dispatcher.pending('sleepy')).map((r) => r.id), ids);
  const gone = await dispatcher.cancel(ids[1]!);
  t.is(gone.status, 'cancelled');
  t.deepEqual(results.map((r) => [r.request.id, r.request.status, r.result.error?.code]), [[ids[1], 'cancelled', 'LWM2M_ERR_CANCELLED']]);
  t.deepEqual((await dispatcher.pending('sleepy')).map((r) => r.id), [ids[0], ids[2]]);
  // Once finished it cannot be cancelled again; an id nobody gave out is not found.
  await t.throwsAsync(dispatcher.cancel(ids[1]!), { message: /is cancelled; only a pending request can be cancelled/ });
  await t.throwsAsync(dispatcher.cancel('0123456789abcdef'), { message: /no request 0123456789abcdef/ });
  dispatcher.wake('sleepy');
  await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(sent.map((r) => `/${r.path.join('/')}`), ['/3/0/4', '/3311/0/5850']);
  t.is((await dispatcher.get(ids[1]!))?.status, 'cancelled');
  await t.throwsAsync(dispatcher.cancel(ids[0]!), { message: /is succeeded/ }, 'a delivered request cannot be called back');
});

/** A queue where an operator cancels the first waiting request just after the dispatcher listed it. */
class CancelRaceQueue extends MemoryRequestQueueStore {
  raced = false;
  override async pending(endpoint: string): ReturnType<MemoryRequestQueueStore['pending']> {
    const list = await super.pending(endpoint);
    if (!this.raced && list.length > 0) {
      this.raced = true;
      await this.cancel(list[0]!.id, 0);
    }
    return list;
  }
}

test('a request cancelled while the dispatcher is about to send it is skipped; the queue goes on', async (t) => {
  const queue = new CancelRaceQueue();
  const { dispatcher, sent, results } = await setup(() => changed, queue);
  for (const path of ['/3/0/4', '/3/0/5']) await dispatcher.submit('sleepy', { op: 'execute', path });
  dispatcher.wake('sleepy');
  await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(sent.map((r) => `/${r.path.join('/')}`), ['/3/0/5']);
  t.deepEqual(results.map((r) => r.request.status), ['succeeded']);
  t.is(await queue.depth('sleepy'), 0);
});

test('cancelAll (quarantine) tells every waiting request why it will not run', async (t) => {
  const { dispatcher, results } = await setup(() => changed);
  for (const path of ['/3/0/4', '/3/0/5']) await dispatcher.submit('sleepy', { op: 'execute', path });
  const gone = await dispatcher.cancelAll('sleepy', 'the device was quarantined');
  t.is(gone.length, 2);
  t.deepEqual(results.map((r) => [r.request.status, r.result.error?.code, r.result.error?.message]), [
    ['cancelled', 'LWM2M_ERR_CANCELLED', 'the device was quarantined'],
    ['cancelled', 'LWM2M_ERR_CANCELLED', 'the device was quarantined'],
  ]);
});
