import type { TestFn } from 'ava';
import type { Registration, RegistrationStore } from '../../src/store/types.js';

export function registration(over: Partial<Registration> = {}): Registration {
  const now = 1_700_000_000_000;
  return {
    id: 'r1',
    endpoint: 'ep-1',
    lifetime: 60,
    lwm2mVersion: '1.1',
    binding: 'U',
    queueMode: false,
    rootPath: '/',
    supportedFormats: [110],
    objectLinks: [{ path: '/3/0', objectId: 3, instanceId: 0 }],
    address: { address: '127.0.0.1', port: 40000 },
    transport: 'coap',
    registeredAt: now,
    lastUpdate: now,
    expiresAt: now + 60_000,
    ...over,
  };
}

/** The behaviour every RegistrationStore implementation must show. */
/** A store under test and how to dispose of it (close, delete its folder). */
export interface StoreFixture<S> {
  store: S;
  dispose(): Promise<void>;
}

export function registrationStoreSuite(test: TestFn, name: string, factory: () => Promise<StoreFixture<RegistrationStore>>): void {
  test(`${name}: add stores a registration, findable by id, endpoint and address`, async (t) => {
    const { store, dispose } = await factory();
    const reg = registration();
    t.is(await store.add(reg), undefined);
    t.deepEqual(await store.getById('r1'), reg);
    t.deepEqual(await store.getByEndpoint('ep-1'), reg);
    t.deepEqual(await store.getByAddress({ address: '127.0.0.1', port: 40000 }), reg);
    t.is(await store.getByAddress({ address: '127.0.0.1', port: 40001 }), undefined);
    await dispose();
  });

  test(`${name}: a new registration of an endpoint replaces the old one and returns it`, async (t) => {
    const { store, dispose } = await factory();
    const first = registration();
    await store.add(first);
    const second = registration({ id: 'r2', address: { address: '127.0.0.1', port: 40002 } });
    t.deepEqual(await store.add(second), first);
    t.is(await store.getById('r1'), undefined);
    t.deepEqual(await store.getByEndpoint('ep-1'), second);
    t.is(await store.getByAddress({ address: '127.0.0.1', port: 40000 }), undefined);
    t.is((await store.list()).length, 1);
    await dispose();
  });

  test(`${name}: update replaces by id and returns the previous version; unknown id is a no-op`, async (t) => {
    const { store, dispose } = await factory();
    const reg = registration();
    await store.add(reg);
    const updated = { ...reg, lifetime: 120, expiresAt: reg.lastUpdate + 120_000 };
    t.deepEqual(await store.update(updated), reg);
    t.is((await store.getById('r1'))?.lifetime, 120);
    t.is(await store.update(registration({ id: 'nope', endpoint: 'other' })), undefined);
    t.is(await store.getByEndpoint('other'), undefined);
    await dispose();
  });

  test(`${name}: remove returns what it removed and clears every index`, async (t) => {
    const { store, dispose } = await factory();
    const reg = registration();
    await store.add(reg);
    t.deepEqual(await store.remove('r1'), reg);
    t.is(await store.remove('r1'), undefined);
    t.is(await store.getByEndpoint('ep-1'), undefined);
    t.is(await store.getByAddress(reg.address), undefined);
    await dispose();
  });

  test(`${name}: list is ordered by endpoint`, async (t) => {
    const { store, dispose } = await factory();
    for (const ep of ['c', 'a', 'b']) await store.add(registration({ id: `id-${ep}`, endpoint: ep, address: { address: '127.0.0.1', port: ep.charCodeAt(0) } }));
    t.deepEqual((await store.list()).map((r) => r.endpoint), ['a', 'b', 'c']);
    await dispose();
  });

  test(`${name}: list reflects every change made after an earlier list`, async (t) => {
    const { store, dispose } = await factory();
    const at = (ep: string, port: number) => registration({ id: `id-${ep}`, endpoint: ep, address: { address: '127.0.0.1', port } });
    await store.add(at('b', 2));
    await store.add(at('a', 1));
    t.deepEqual((await store.list()).map((r) => r.endpoint), ['a', 'b']);
    await store.add(at('c', 3));
    await store.remove('id-a');
    await store.update({ ...at('b', 2), lifetime: 999 });
    const listed = await store.list();
    t.deepEqual(listed.map((r) => [r.endpoint, r.lifetime]), [['b', 999], ['c', 60]]);
    // The unordered view holds the same registrations, and the count agrees.
    t.deepEqual([...store.values()].map((r) => [r.endpoint, r.lifetime]).sort(), [['b', 999], ['c', 60]]);
    t.is(store.size, 2);
    listed.pop();
    t.is((await store.list()).length, 2, 'a caller changing the returned array changes nothing');
    await dispose();
  });

  test(`${name}: removeExpired removes exactly the registrations past their lifetime`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(registration({ id: 'old', endpoint: 'old', expiresAt: 1000, address: { address: '127.0.0.1', port: 1 } }));
    await store.add(registration({ id: 'new', endpoint: 'new', expiresAt: 5000, address: { address: '127.0.0.1', port: 2 } }));
    const gone = await store.removeExpired(1000);
    t.deepEqual(gone.map((r) => r.id), ['old']);
    t.deepEqual((await store.list()).map((r) => r.id), ['new']);
    await dispose();
  });

  test(`${name}: identities round-trip, raw public keys included`, async (t) => {
    const { store, dispose } = await factory();
    const reg = registration({ identity: { kind: 'rpk', publicKey: new Uint8Array([1, 2, 3]) } });
    await store.add(reg);
    const back = await store.getById('r1');
    t.deepEqual(Buffer.from((back?.identity as { publicKey: Uint8Array }).publicKey), Buffer.from([1, 2, 3]));
    await dispose();
  });
}
