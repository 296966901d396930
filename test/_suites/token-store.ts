import type { TestFn } from 'ava';
import type { ApiTokenRecord, ApiTokenStore } from '../../src/ops/types.js';
import type { StoreFixture } from './registration-store.js';

function token(over: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  return { id: 't1', name: 'grafana', hash: 'a'.repeat(64), readOnly: true, createdAt: 1000, ...over };
}

/** The behaviour every ApiTokenStore implementation must show. */
export function tokenStoreSuite(test: TestFn, name: string, factory: () => Promise<StoreFixture<ApiTokenStore>>): void {
  test(`${name}: add stores a token, findable by hash and by name`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(token());
    t.deepEqual(await store.getByHash('a'.repeat(64)), token());
    t.deepEqual(await store.getByName('grafana'), token());
    t.is(await store.getByHash('b'.repeat(64)), undefined);
    await dispose();
  });

  test(`${name}: remove returns the token and its hash no longer authenticates`, async (t) => {
    const { store, dispose } = await factory();
    await store.add(token());
    await store.add(token({ id: 't2', name: 'ci', hash: 'c'.repeat(64), readOnly: false, createdAt: 2000 }));
    t.deepEqual((await store.list()).map((r) => r.name), ['grafana', 'ci']);
    t.is((await store.remove('t1'))?.name, 'grafana');
    t.is(await store.remove('t1'), undefined);
    t.is(await store.getByHash('a'.repeat(64)), undefined);
    t.deepEqual((await store.list()).map((r) => r.id), ['t2']);
    await dispose();
  });
}
