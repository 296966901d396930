import test from 'ava';
import { ManualClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { LevelObjectStore } from '../../src/store/object-store-level.js';
import { MemoryObjectStore } from '../../src/store/object-store-memory.js';
import { RetentionSweep } from '../../src/store/retention-sweep.js';
import type { ObjectStore, StoredValue } from '../../src/store/types.js';
import { levelFixture } from '../helpers/level-fixture.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const T0 = 1_700_000_000_000;

const value = (time: number, v: number): StoredValue => ({ endpoint: 'ep', path: '/3303/0/5700', value: { type: 'float', value: v }, time, receivedAt: time, source: 'notify' });

const settle = () => new Promise((r) => setTimeout(r, 50));

for (const [name, open] of [
  ['memory', async () => ({ store: new MemoryObjectStore({ retention: { maxEntries: 100, maxAgeMs: 2 * DAY } }) as ObjectStore, dispose: async () => undefined })],
  ['level', () => levelFixture('ret', (db) => LevelObjectStore.open(db, undefined, { retention: { maxEntries: 100, maxAgeMs: 2 * DAY }, logger: silentLogger() }))],
] as const) {
  test(`${name}: the sweep drops history past the age limit on its timer, and stops when told`, async (t) => {
    const { store, dispose } = await open();
    t.teardown(dispose);
    const clock = new ManualClock(T0);
    // Three days of hourly values, the newest now.
    for (let h = 72; h >= 0; h--) await store.put([value(T0 - h * HOUR, h)]);
    t.is((await store.history('ep', '/3303/0/5700', { limit: 1000 })).length, 73);
    const sweep = new RetentionSweep({ store, clock, intervalMs: HOUR, firstAfterMs: 60_000, logger: silentLogger() });
    sweep.start();
    clock.advance(59_000);
    await settle();
    t.is((await store.history('ep', '/3303/0/5700', { limit: 1000 })).length, 73, 'nothing before the first sweep is due');
    clock.advance(1_000);
    await settle();
    const kept = await store.history('ep', '/3303/0/5700', { limit: 1000 });
    t.true(kept.every((v) => v.time >= T0 + 60_000 - 2 * DAY), 'only the last two days are kept');
    t.is(kept.length, 48);
    // Over the next day the hourly sweeps (each armed when the previous one has finished) drop
    // what has aged since.
    for (let h = 0; h < 24; h++) {
      clock.advance(HOUR);
      await settle();
    }
    t.is((await store.history('ep', '/3303/0/5700', { limit: 1000 })).length, 24);
    await sweep.stop();
    clock.advance(DAY);
    await settle();
    t.is((await store.history('ep', '/3303/0/5700', { limit: 1000 })).length, 24, 'no sweep after stop');
    t.deepEqual((await store.latest('ep'))[0]?.value, { type: 'float', value: 0 }, 'the latest value is never swept');
  });
}
