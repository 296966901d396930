import type { TestFn } from 'ava';
import { cursorOf } from '../../src/store/object-store-values.js';
import type { ObjectStore, RetentionPolicy, StoredValue } from '../../src/store/types.js';
import type { StoreFixture } from './registration-store.js';

export const T0 = 1_700_000_000_000;

export function value(over: Partial<StoredValue> & { v?: number } = {}): StoredValue {
  const { v = 21.5, ...rest } = over;
  return { endpoint: 'ep-1', path: '/3303/0/5700', value: { type: 'float', value: v }, time: T0, receivedAt: T0, source: 'notify', ...rest };
}

export type ObjectStoreFactory = (options: { retention?: Partial<RetentionPolicy> }) => Promise<StoreFixture<ObjectStore>>;

const floats = (list: StoredValue[]) => list.map((s) => s.value.value);

/** The behaviour every ObjectStore implementation must show. */
export function objectStoreSuite(test: TestFn, name: string, factory: ObjectStoreFactory): void {
  test(`${name}: put makes each value the latest of its path and keeps it in history`, async (t) => {
    const { store, dispose } = await factory({});
    const a = value({ v: 1 });
    const b = value({ v: 2, path: '/3303/0/5701', time: T0 + 1 });
    await store.put([a, b]);
    t.deepEqual(await store.latest('ep-1'), [a, b]);
    t.deepEqual(await store.history('ep-1', '/3303/0/5700'), [a]);
    t.deepEqual(await store.latest('ep-2'), []);
    t.deepEqual(await store.history('ep-1', '/3303/0/1'), []);
    await dispose();
  });

  test(`${name}: a newer value replaces the latest; an older one only joins history`, async (t) => {
    const { store, dispose } = await factory({});
    await store.put([value({ v: 1, time: T0 + 10 })]);
    await store.put([value({ v: 2, time: T0 + 20 })]);
    await store.put([value({ v: 3, time: T0 + 15 })]);
    t.deepEqual(floats(await store.latest('ep-1')), [2]);
    t.deepEqual(floats(await store.history('ep-1', '/3303/0/5700')), [2, 3, 1], 'history is by time, newest first');
    await store.put([value({ v: 4, time: T0 + 20 })]);
    t.deepEqual(floats(await store.latest('ep-1')), [4], 'equal time: the later arrival wins');
    t.deepEqual(floats(await store.history('ep-1', '/3303/0/5700', { limit: 2 })), [4, 2]);
    await dispose();
  });

  test(`${name}: values of one put call for the same path keep their order`, async (t) => {
    const { store, dispose } = await factory({});
    await store.put([1, 2, 3].map((v) => value({ v, time: T0 + v })));
    t.deepEqual(floats(await store.latest('ep-1')), [3]);
    t.deepEqual(floats(await store.history('ep-1', '/3303/0/5700')), [3, 2, 1]);
    await dispose();
  });

  test(`${name}: many put calls in one turn all land`, async (t) => {
    const { store, dispose } = await factory({});
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.put([value({ endpoint: `ep-${i % 20}`, path: `/3303/${i % 3}/5700`, v: i, time: T0 + i })])));
    t.is((await store.latest('ep-7')).length, 3);
    t.deepEqual(floats(await store.history('ep-7', '/3303/1/5700')), [187, 127, 67, 7]);
    await dispose();
  });

  test(`${name}: history filters by since and until (inclusive) and limits, newest first`, async (t) => {
    const { store, dispose } = await factory({});
    await store.put(Array.from({ length: 10 }, (_, i) => value({ v: i, time: T0 + i * 1000 })));
    t.deepEqual(floats(await store.history('ep-1', '/3303/0/5700', { since: T0 + 3000, until: T0 + 6000 })), [6, 5, 4, 3]);
    t.deepEqual(floats(await store.history('ep-1', '/3303/0/5700', { since: T0 + 3000, limit: 2 })), [9, 8]);
    t.deepEqual(floats(await store.history('ep-1', '/3303/0/5700', { until: T0 + 1500 })), [1, 0]);
    t.deepEqual(await store.history('ep-1', '/3303/0/5700', { since: T0 + 6000, until: T0 + 3000 }), []);
    await dispose();
  });

  test(`${name}: latest orders paths numerically and filters by prefix on whole segments`, async (t) => {
    const { store, dispose } = await factory({});
    const paths = ['/3/0/10', '/3/0/9', '/3/0/11/1', '/3/0/11/0', '/3/1/0', '/31/0/1', '/3303/0/5700', '/3/0/1'];
    await store.put(paths.map((path) => value({ path })));
    t.deepEqual((await store.latest('ep-1')).map((v) => v.path), ['/3/0/1', '/3/0/9', '/3/0/10', '/3/0/11/0', '/3/0/11/1', '/3/1/0', '/31/0/1', '/3303/0/5700']);
    t.deepEqual((await store.latest('ep-1', '/3/0')).map((v) => v.path), ['/3/0/1', '/3/0/9', '/3/0/10', '/3/0/11/0', '/3/0/11/1']);
    t.deepEqual((await store.latest('ep-1', '/3/0/11')).map((v) => v.path), ['/3/0/11/0', '/3/0/11/1']);
    t.deepEqual((await store.latest('ep-1', '/3/0/1')).map((v) => v.path), ['/3/0/1'], '/3/0/1 is not a prefix of /3/0/10');
    t.deepEqual((await store.latest('ep-1', '/3')).length, 6);
    t.deepEqual((await store.latest('ep-1', '/')).length, paths.length);
    await dispose();
  });

  test(`${name}: one endpoint's data never shows under another whose name starts the same`, async (t) => {
    const { store, dispose } = await factory({});
    await store.put([value({ endpoint: 'dev-1', v: 1 }), value({ endpoint: 'dev-10', v: 10 }), value({ endpoint: 'dev-1 x', v: 2 })]);
    t.deepEqual(floats(await store.latest('dev-1')), [1]);
    t.deepEqual(floats(await store.history('dev-1', '/3303/0/5700')), [1]);
    await store.removeEndpoint('dev-1');
    t.deepEqual(floats(await store.latest('dev-10')), [10]);
    t.deepEqual(floats(await store.latest('dev-1 x')), [2]);
    await dispose();
  });

  test(`${name}: endpoint names with control characters or spaces stay apart`, async (t) => {
    const { store, dispose } = await factory({});
    const eps = ['a', 'a\x00b', 'a\x01', 'a b', 'a\x00'];
    await store.put(eps.map((endpoint, i) => value({ endpoint, v: i })));
    for (const [i, endpoint] of eps.entries()) t.deepEqual(floats(await store.latest(endpoint)), [i], JSON.stringify(endpoint));
    const page1 = await store.latestAcross('/3303/0/5700', { limit: 2 });
    const page2 = await store.latestAcross('/3303/0/5700', { after: cursorOf(page1[1] as StoredValue) });
    t.deepEqual([...page1, ...page2].map((v) => v.endpoint), ['a', 'a\x00', 'a\x00b', 'a\x01', 'a b']);
    await store.removeEndpoint('a\x00');
    t.deepEqual(floats(await store.latest('a\x00b')), [1]);
    await dispose();
  });

  test(`${name}: latestAcross matches * as one segment, ordered by endpoint then path`, async (t) => {
    const { store, dispose } = await factory({});
    await store.put([
      value({ endpoint: 'b', path: '/3303/1/5700', v: 3 }),
      value({ endpoint: 'b', path: '/3303/0/5700', v: 2 }),
      value({ endpoint: 'a', path: '/3303/0/5700', v: 1 }),
      value({ endpoint: 'a', path: '/3303/0/5701', v: 9 }),
      value({ endpoint: 'a', path: '/3303/0/5700/1', v: 9 }),
      value({ endpoint: 'a', path: '/3304/0/5700', v: 9 }),
      value({ endpoint: 'a', path: '/3/0/5700', v: 9 }),
      value({ endpoint: 'c', path: '/3303/10/5700', v: 5 }),
      value({ endpoint: 'c', path: '/3303/2/5700', v: 4 }),
    ]);
    t.deepEqual(floats(await store.latestAcross('/3303/*/5700')), [1, 2, 3, 4, 5]);
    t.deepEqual(floats(await store.latestAcross('/*/0/5700')), [9, 1, 9, 2]);
    t.deepEqual(floats(await store.latestAcross('/3303/0/5700')), [1, 2]);
    await dispose();
  });

  test(`${name}: latestAcross pages with a cursor and filters endpoints by prefix`, async (t) => {
    const { store, dispose } = await factory({});
    const eps = ['dev-3', 'dev-1', 'dev-2', 'other', 'dev-10'];
    await store.put(eps.flatMap((endpoint, i) => [0, 1].map((inst) => value({ endpoint, path: `/3303/${inst}/5700`, v: i * 10 + inst }))));
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const got = await store.latestAcross('/3303/*/5700', { endpointPrefix: 'dev-', limit: 3, ...(after ? { after } : {}) });
      if (got.length === 0) break;
      t.true(got.length <= 3);
      seen.push(...got.map((v) => `${v.endpoint} ${v.path}`));
      after = cursorOf(got[got.length - 1] as StoredValue);
    }
    t.deepEqual(seen, ['dev-1', 'dev-10', 'dev-2', 'dev-3'].flatMap((ep) => [`${ep} /3303/0/5700`, `${ep} /3303/1/5700`]));
    await dispose();
  });

  test(`${name}: history keeps at most maxEntries per path, the newest`, async (t) => {
    const { store, dispose } = await factory({ retention: { maxEntries: 5 } });
    for (let i = 0; i < 30; i++) await store.put([value({ v: i, time: T0 + i }), value({ path: '/3303/0/5701', v: i, time: T0 + i })]);
    t.deepEqual(floats(await store.history('ep-1', '/3303/0/5700')), [29, 28, 27, 26, 25]);
    t.deepEqual(floats(await store.history('ep-1', '/3303/0/5701', { since: T0 })), [29, 28, 27, 26, 25]);
    t.deepEqual(floats(await store.latest('ep-1')), [29, 29]);
    await store.applyRetention(T0 + 30);
    t.deepEqual(floats(await store.history('ep-1', '/3303/0/5700', { until: T0 + 26 })), [26, 25], 'older entries are gone, not hidden');
    await dispose();
  });

  test(`${name}: applyRetention drops entries older than maxAgeMs and reports how many`, async (t) => {
    const { store, dispose } = await factory({ retention: { maxAgeMs: 1000 } });
    await store.put(Array.from({ length: 10 }, (_, i) => value({ v: i, time: T0 + i * 200 })));
    await store.put([value({ endpoint: 'ep-2', v: 100, time: T0 })]);
    const removed = await store.applyRetention(T0 + 2000);
    t.is(removed, 6, 'ep-1 at T0..T0+800 and ep-2 at T0 are older than now - 1000');
    t.deepEqual(floats(await store.history('ep-1', '/3303/0/5700')), [9, 8, 7, 6, 5], 'exactly maxAgeMs old: kept');
    t.deepEqual(await store.history('ep-2', '/3303/0/5700'), []);
    t.deepEqual(floats(await store.latest('ep-2')), [100], 'the latest value stays');
    t.is(await store.applyRetention(T0 + 2000), 0);
    await dispose();
  });

  test(`${name}: removeEndpoint clears latest values and history of that device only`, async (t) => {
    const { store, dispose } = await factory({});
    await store.put([value({ v: 1 }), value({ path: '/3/0/9', v: 2 }), value({ endpoint: 'ep-2', v: 3 })]);
    await store.removeEndpoint('ep-1');
    t.deepEqual(await store.latest('ep-1'), []);
    t.deepEqual(await store.history('ep-1', '/3303/0/5700'), []);
    t.deepEqual(floats(await store.latestAcross('/3303/*/5700')), [3]);
    await store.put([value({ v: 4, time: T0 - 1000 })]);
    t.deepEqual(floats(await store.latest('ep-1')), [4], 'after removal an older time is accepted again');
    t.deepEqual(floats(await store.history('ep-1', '/3303/0/5700')), [4]);
    await dispose();
  });

  test(`${name}: values of every type round-trip`, async (t) => {
    const { store, dispose } = await factory({});
    const vals: StoredValue[] = [
      { ...value({ path: '/1/0/1' }), value: { type: 'integer', value: '9007199254740993' } },
      { ...value({ path: '/1/0/2' }), value: { type: 'opaque', value: 'AQID' } },
      { ...value({ path: '/1/0/3' }), value: { type: 'time', value: 1700000000, iso: '2023-11-14T22:13:20.000Z' } },
      { ...value({ path: '/1/0/4' }), value: { type: 'none', value: null }, source: 'send' },
      { ...value({ path: '/1/0/5' }), value: { type: 'string', value: 'héllo "q"' }, source: 'read' },
    ];
    await store.put(vals);
    t.deepEqual(await store.latest('ep-1'), vals);
    await dispose();
  });

  test(`${name}: a value without endpoint, with a bad path or time is refused and nothing of its batch is stored`, async (t) => {
    const { store, dispose } = await factory({});
    await t.throwsAsync(store.put([value(), value({ path: '3303/0/5700' })]), { code: 'LWM2M_ERR_BAD_REQUEST' });
    await t.throwsAsync(store.put([value({ time: Number.NaN })]), { code: 'LWM2M_ERR_BAD_REQUEST' });
    await t.throwsAsync(store.put([value({ endpoint: '' })]), { code: 'LWM2M_ERR_BAD_REQUEST' });
    t.deepEqual(await store.latest('ep-1'), []);
    await dispose();
  });
}
