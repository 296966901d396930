import test from 'ava';
import { ManualClock } from '../../src/clock.js';
import type { IncomingResponse, NotificationHandler } from '../../src/coap/types.js';
import { EventBus } from '../../src/events.js';
import type { DevicePort } from '../../src/lwm2m/management/device-port.js';
import { ObservationService } from '../../src/lwm2m/observe/observation-service.js';
import { ModelRegistry } from '../../src/model/registry.js';
import { MemoryObjectStore } from '../../src/store/object-store-memory.js';
import { MemoryObservationStore } from '../../src/store/observation-memory.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';
import type { ObservationRecord } from '../../src/store/types.js';
import { registration } from '../_suites/registration-store.js';

const models = await ModelRegistry.builtin();

const text = (value: string, observe: number): IncomingResponse => ({ code: '2.05', contentFormat: 0, payload: Buffer.from(value), locationPath: [], peer: { address: '127.0.0.1', port: 40000 }, token: Buffer.from('0a0b', 'hex'), confirmable: false, observe });

/** An observation store whose writes wait until released (a slow disk). */
class SlowObservations extends MemoryObservationStore {
  release: () => void = () => undefined;
  override async add(o: ObservationRecord): Promise<ObservationRecord | undefined> {
    await new Promise<void>((resolve) => (this.release = resolve));
    return super.add(o);
  }
}

/** Device "dev" registered, and a port whose Observe is answered 21.5 (sequence 1); `notify` delivers the device's next notifications. */
async function deviceAndPort(): Promise<{ registrations: MemoryRegistrationStore; port: DevicePort; notify: NotificationHandler }> {
  const registrations = new MemoryRegistrationStore();
  await registrations.add(registration({ endpoint: 'dev', lwm2mVersion: '1.1' }));
  let handler: NotificationHandler | undefined;
  const port: DevicePort = {
    request: () => Promise.reject(new Error('not used')),
    async observe(_peer, _req, onNotification) {
      handler = onNotification;
      return { response: text('21.5', 1), token: Buffer.from('0a0b', 'hex'), cancel: async () => undefined };
    },
    attachObservation: () => undefined,
    detachObservation: () => false,
    cancelObservation: async () => undefined,
  };
  const notify: NotificationHandler = (res) => {
    if (handler === undefined) throw new Error('not observed yet');
    handler(res);
  };
  return { registrations, port, notify };
}

test('a notification handled while the observation is still being stored stays the latest value, at the same millisecond too', async (t) => {
  const clock = new ManualClock(1_700_000_000_000);
  const { registrations, port, notify } = await deviceAndPort();
  const observations = new SlowObservations();
  const objectStore = new MemoryObjectStore();
  const service = new ObservationService({ port, registrations, observations, models, events: new EventBus(), objectStore, clock });
  const observed = service.observe(registrations.getByEndpoint('dev')!, { op: 'observe', path: '/3303/0/5700' });
  await new Promise((r) => setTimeout(r, 5));
  // The device's next notification arrives while the record is written (the clock has not moved).
  notify(text('22.5', 2));
  await new Promise((r) => setTimeout(r, 5));
  observations.release();
  const result = await observed;
  t.true(result.ok);
  await new Promise((r) => setTimeout(r, 5));
  const latest = await objectStore.latest('dev', '/3303/0/5700');
  t.deepEqual(latest.map((v) => v.value), [{ type: 'float', value: 22.5 }]);
  const history = await objectStore.history('dev', '/3303/0/5700');
  t.deepEqual(history.map((v) => (v.value as { value: number }).value).sort(), [21.5, 22.5]);
});

test('observations taken up from the store reach the CoAP layer on their first notification, from the registered address only', async (t) => {
  const registrations = new MemoryRegistrationStore();
  // The device registered from 127.0.0.1:40000 (registration()).
  await registrations.add(registration({ id: 'r1', endpoint: 'dev', lwm2mVersion: '1.1' }));
  const observations = new MemoryObservationStore();
  const record = (token: string, path: string): ObservationRecord => ({ token, endpoint: 'dev', registrationId: 'r1', paths: [path], composite: false, peer: { address: '127.0.0.1', port: 40000 }, createdAt: 1 });
  await observations.add(record('0a0b', '/3303/0/5700'));
  await observations.add(record('0c0d', '/3303/0/5701'));
  await observations.add(record('1a1b', '/3303/0/5601'));
  // An observation of an earlier registration is kept for re-observing, not taken up.
  await observations.add({ ...record('0e0f', '/3303/0/5700'), registrationId: 'r0' });
  const attached: { peer: string; token: string; handler: NotificationHandler; req: unknown }[] = [];
  const cancels: { token: string; mode: string | undefined; observe: unknown }[] = [];
  const port: DevicePort = {
    request: () => Promise.reject(new Error('not used')),
    observe: () => Promise.reject(new Error('not used')),
    attachObservation: (peer, token, handler, req) => void attached.push({ peer: `${peer.address}:${peer.port}`, token: token.toString('hex'), handler, req }),
    detachObservation: () => false,
    cancelObservation: async (_peer, token, mode, req) => void cancels.push({ token: token.toString('hex'), mode, observe: req?.observe }),
  };
  const objectStore = new MemoryObjectStore();
  const service = new ObservationService({ port, registrations, observations, models, events: new EventBus(), objectStore });
  await service.start();
  t.is(attached.length, 0, 'start() hands nothing to the CoAP layer');

  const from = (token: string, port: number, value: string, observe: number): IncomingResponse => ({ ...text(value, observe), token: Buffer.from(token, 'hex'), peer: { address: '127.0.0.1', port } });
  t.false(service.acceptOrphan(from('0e0f', 40000, '1', 1)), 'the old registration\'s token is not ours');
  t.false(service.acceptOrphan(from('1111', 40000, '1', 1)));

  // First notification from the registered address: attached, and left to the CoAP layer to deliver.
  t.true(service.acceptOrphan(from('0a0b', 40000, '21.5', 5)));
  t.deepEqual(attached.map((a) => [a.peer, a.token]), [['127.0.0.1:40000', '0a0b']]);
  await new Promise((r) => setTimeout(r, 5));
  t.deepEqual(await objectStore.latest('dev', '/3303/0/5700'), [], 'not handled twice: the CoAP layer delivers it');
  attached[0]!.handler(from('0a0b', 40000, '21.5', 5));
  await new Promise((r) => setTimeout(r, 5));
  t.deepEqual((await objectStore.latest('dev', '/3303/0/5700')).map((v) => v.value), [{ type: 'float', value: 21.5 }]);
  // The request it was made with is there for Block2 follow-ups and active cancel.
  const req = (attached[0]!.req as () => { path: string[]; observe?: number })();
  t.deepEqual([req.path, req.observe], [['3303', '0', '5700'], 0]);

  // From another address (the device moved and has not updated yet): handled, not attached.
  t.true(service.acceptOrphan(from('0c0d', 40001, 'Cel', 1)));
  await new Promise((r) => setTimeout(r, 5));
  t.deepEqual((await objectStore.latest('dev', '/3303/0/5701')).map((v) => v.value), [{ type: 'string', value: 'Cel' }]);
  t.is(attached.length, 1);
  // Its next notification from the registered address attaches it.
  t.true(service.acceptOrphan(from('0c0d', 40000, '4', 2)));
  t.deepEqual(attached.map((a) => a.token), ['0a0b', '0c0d']);

  // An active cancel of a stored observation sends GET Observe=1, attached or not.
  t.true((await service.cancel('dev', ['/3303/0/5701'])).ok);
  t.true((await service.cancel('dev', ['/3303/0/5601'])).ok);
  t.deepEqual(cancels, [{ token: '0c0d', mode: 'active', observe: 1 }, { token: '1a1b', mode: 'active', observe: 1 }]);
  t.false(service.acceptOrphan(from('1a1b', 40000, '4', 2)), 'a cancelled observation is not ours any more');
  t.is(attached.length, 2);
});

/** A service with one observation of /3303/0/5700 on device "dev"; `notify` delivers its notifications. */
async function observedDevice(objectStore: MemoryObjectStore, events: EventBus): Promise<{ notify: NotificationHandler }> {
  const { registrations, port, notify } = await deviceAndPort();
  const service = new ObservationService({ port, registrations, observations: new MemoryObservationStore(), models, events, objectStore });
  const result = await service.observe(registrations.getByEndpoint('dev')!, { op: 'observe', path: '/3303/0/5700' });
  if (!result.ok) throw new Error('observe failed');
  return { notify };
}

test('a notification the object store refuses is not emitted, and the next one is stored and emitted', async (t) => {
  class FailingOnce extends MemoryObjectStore {
    failNext = false;
    override put(values: Parameters<MemoryObjectStore['put']>[0]): Promise<void> {
      if (this.failNext) {
        this.failNext = false;
        return Promise.reject(new Error('disk full'));
      }
      return super.put(values);
    }
  }
  const objectStore = new FailingOnce();
  const events = new EventBus();
  const seen: number[] = [];
  events.on('notification', (e) => void seen.push(e.sequence ?? -1));
  const { notify } = await observedDevice(objectStore, events);
  objectStore.failNext = true;
  notify(text('22.5', 2));
  notify(text('23.5', 3));
  await new Promise((r) => setTimeout(r, 5));
  t.deepEqual(seen, [1, 3]);
  t.deepEqual((await objectStore.latest('dev', '/3303/0/5700')).map((v) => v.value), [{ type: 'float', value: 23.5 }]);
});

test('a notification listener that throws does not stop the notifications after it', async (t) => {
  const objectStore = new MemoryObjectStore();
  const events = new EventBus();
  const seen: number[] = [];
  events.on('notification', (e) => {
    seen.push(e.sequence ?? -1);
    if (e.sequence === 2) throw new Error('listener bug');
  });
  const { notify } = await observedDevice(objectStore, events);
  // With the store (values written first, then emitted) and an unhandled rejection would fail this test file.
  notify(text('22.5', 2));
  notify(text('23.5', 3));
  await new Promise((r) => setTimeout(r, 5));
  t.deepEqual(seen, [1, 2, 3]);
  t.deepEqual((await objectStore.history('dev', '/3303/0/5700')).map((v) => (v.value as { value: number }).value), [23.5, 22.5, 21.5]);
});
