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

test('a notification handled while the observation is still being stored stays the latest value, at the same millisecond too', async (t) => {
  const clock = new ManualClock(1_700_000_000_000);
  const registrations = new MemoryRegistrationStore();
  await registrations.add(registration({ endpoint: 'dev', lwm2mVersion: '1.1' }));
  let notify: NotificationHandler | undefined;
  const port: DevicePort = {
    request: () => Promise.reject(new Error('not used')),
    async observe(_peer, _req, onNotification) {
      notify = onNotification;
      return { response: text('21.5', 1), token: Buffer.from('0a0b', 'hex'), cancel: async () => undefined };
    },
    attachObservation: () => undefined,
    detachObservation: () => false,
    cancelObservation: async () => undefined,
  };
  const observations = new SlowObservations();
  const objectStore = new MemoryObjectStore();
  const service = new ObservationService({ port, registrations, observations, models, events: new EventBus(), objectStore, clock });
  const observed = service.observe(registrations.getByEndpoint('dev')!, { op: 'observe', path: '/3303/0/5700' });
  await new Promise((r) => setTimeout(r, 5));
  // The device's next notification arrives while the record is written (the clock has not moved).
  notify!(text('22.5', 2));
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
