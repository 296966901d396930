import type { TestFn } from 'ava';
import type { QuarantineRecord, QuarantineStore } from '../../src/ops/types.js';
import type { StoreFixture } from './registration-store.js';

export function quarantineRecord(over: Partial<QuarantineRecord> = {}): QuarantineRecord {
  return { endpoint: 'ep-1', reason: 'tampering', since: 1_700_000_000_000, by: { kind: 'token', name: 'admin' }, identities: ['psk:id-1'], addresses: ['127.0.0.1:40000'], registrationIds: ['r1'], ...over };
}

/** The behaviour every QuarantineStore implementation must show. */
export function quarantineStoreSuite(test: TestFn, name: string, factory: () => Promise<StoreFixture<QuarantineStore>>): void {
  test(`${name}: put stores a record, findable by endpoint, identity and address`, async (t) => {
    const { store, dispose } = await factory();
    t.is(await store.put(quarantineRecord()), undefined);
    t.deepEqual(await store.get('ep-1'), quarantineRecord());
    t.is((await store.findByIdentity('psk:id-1'))?.endpoint, 'ep-1');
    t.is((await store.findByAddress('127.0.0.1:40000'))?.endpoint, 'ep-1');
    t.is((await store.findByRegistrationId('r1'))?.endpoint, 'ep-1');
    t.is(await store.findByIdentity('psk:other'), undefined);
    t.is(await store.findByRegistrationId('r2'), undefined);
    t.is(await store.findByAddress('127.0.0.1:40001'), undefined);
    await dispose();
  });

  test(`${name}: put replaces the record of an endpoint, returns the old one and re-indexes`, async (t) => {
    const { store, dispose } = await factory();
    await store.put(quarantineRecord());
    const next = quarantineRecord({ reason: 'again', identities: ['psk:id-2'], addresses: [], registrationIds: [] });
    t.deepEqual(await store.put(next), quarantineRecord());
    t.is(await store.findByIdentity('psk:id-1'), undefined);
    t.is(await store.findByAddress('127.0.0.1:40000'), undefined);
    t.is(await store.findByRegistrationId('r1'), undefined);
    t.is((await store.findByIdentity('psk:id-2'))?.reason, 'again');
    await dispose();
  });

  test(`${name}: remove returns the record and clears every index; list is ordered by endpoint`, async (t) => {
    const { store, dispose } = await factory();
    t.is(store.size, 0);
    await store.put(quarantineRecord({ endpoint: 'b', identities: [], addresses: [], registrationIds: [] }));
    await store.put(quarantineRecord({ endpoint: 'a' }));
    await store.put(quarantineRecord({ endpoint: 'a' }));
    t.is(store.size, 2);
    t.deepEqual((await store.list()).map((r) => r.endpoint), ['a', 'b']);
    t.is((await store.remove('a'))?.endpoint, 'a');
    t.is(await store.remove('a'), undefined);
    t.is(store.size, 1);
    t.is(await store.findByIdentity('psk:id-1'), undefined);
    t.deepEqual((await store.list()).map((r) => r.endpoint), ['b']);
    await dispose();
  });
}
