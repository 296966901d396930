import type { TestFn } from 'ava';
import type { ObservationRecord, ObservationStore } from '../../src/store/types.js';
import type { StoreFixture } from './registration-store.js';

export function observation(over: Partial<ObservationRecord> = {}): ObservationRecord {
  return {
    token: 'a1b2c3d4',
    endpoint: 'ep-1',
    registrationId: 'r1',
    paths: ['/3303/0/5700'],
    composite: false,
    peer: { address: '127.0.0.1', port: 40000 },
    createdAt: 1_700_000_000_000,
    ...over,
  };
}

/** The behaviour every ObservationStore implementation must show. */
export function observationStoreSuite(test: TestFn, name: string, factory: () => Promise<StoreFixture<ObservationStore>>): void {
  test(`${name}: add stores an observation, findable by token and endpoint`, async (t) => {
    const { store, dispose } = await factory();
    const o = observation({ accept: 112, lastSequence: 7 });
    t.is(await store.add(o), undefined);
    t.deepEqual(await store.getByToken('a1b2c3d4'), o);
    t.deepEqual(await store.listByEndpoint('ep-1'), [o]);
    t.deepEqual(await store.listByEndpoint('ep-2'), []);
    t.is(await store.getByToken('ffff'), undefined);
    await dispose();
  });

  test(`${name}: adding the same token replaces the record and returns the old one`, async (t) => {
    const { store, dispose } = await factory();
    const first = observation();
    await store.add(first);
    const second = observation({ lastSequence: 12, paths: ['/3303/0'] });
    t.deepEqual(await store.add(second), first);
    t.deepEqual(await store.getByToken('a1b2c3d4'), second);
    t.is((await store.list()).length, 1);
    await dispose();
  });

  test(`${name}: a replaced token moving to another endpoint leaves the old endpoint's list`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(observation());
    await store.add(observation({ endpoint: 'ep-2', registrationId: 'r2' }));
    t.deepEqual(await store.listByEndpoint('ep-1'), []);
    t.deepEqual((await store.listByEndpoint('ep-2')).map((o) => o.registrationId), ['r2']);
    await dispose();
  });

  test(`${name}: listByEndpoint holds only that device's observations, composite ones included`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(observation({ token: '01', createdAt: 2 }));
    await store.add(observation({ token: '02', createdAt: 1, composite: true, paths: ['/3/0/9', '/3303/0/5700'] }));
    await store.add(observation({ token: '03', endpoint: 'ep-10' }));
    const list = await store.listByEndpoint('ep-1');
    t.deepEqual(list.map((o) => o.token), ['02', '01']);
    t.deepEqual(list[0]?.paths, ['/3/0/9', '/3303/0/5700']);
    t.is((await store.list()).length, 3);
    t.deepEqual([...store.values()].map((o) => o.token).sort(), ['01', '02', '03']);
    await dispose();
  });

  test(`${name}: remove returns what it removed; removing twice returns nothing`, async (t) => {
    const { store, dispose } = await factory();
    const o = observation();
    await store.add(o);
    t.deepEqual(await store.remove('a1b2c3d4'), o);
    t.is(await store.remove('a1b2c3d4'), undefined);
    t.is(await store.getByToken('a1b2c3d4'), undefined);
    t.deepEqual(await store.listByEndpoint('ep-1'), []);
    await dispose();
  });

  test(`${name}: removeByEndpoint drops a device's observations and returns them, others stay`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(observation({ token: '01' }));
    await store.add(observation({ token: '02' }));
    await store.add(observation({ token: '03', endpoint: 'ep-2' }));
    const gone = await store.removeByEndpoint('ep-1');
    t.deepEqual(gone.map((o) => o.token).sort(), ['01', '02']);
    t.is(await store.getByToken('01'), undefined);
    t.deepEqual((await store.list()).map((o) => o.token), ['03']);
    t.deepEqual(await store.removeByEndpoint('ep-1'), []);
    await dispose();
  });
}
