import type { TestFn } from 'ava';
import type { TagStore } from '../../src/ops/types.js';
import type { StoreFixture } from './registration-store.js';

/** The behaviour every TagStore implementation must show. */
export function tagStoreSuite(test: TestFn, name: string, factory: () => Promise<StoreFixture<TagStore>>): void {
  test(`${name}: set merges tags, null removes one, and returns the previous tags`, async (t) => {
    const { store, dispose } = await factory();
    t.deepEqual(await store.set('ep-1', { street: '5', zone: 'north' }), {});
    t.deepEqual(await store.set('ep-1', { street: '6', zone: null }), { street: '5', zone: 'north' });
    t.deepEqual(await store.get('ep-1'), { street: '6' });
    t.deepEqual(await store.get('unknown'), {});
    await dispose();
  });

  test(`${name}: all lists tagged endpoints; removing the last tag forgets the endpoint`, async (t) => {
    const { store, dispose } = await factory();
    await store.set('a', { k: '1' });
    await store.set('b', { k: '2' });
    await store.set('a', { k: null });
    t.deepEqual([...(await store.all()).entries()], [['b', { k: '2' }]]);
    t.deepEqual(await store.remove('b'), { k: '2' });
    t.is((await store.all()).size, 0);
    await dispose();
  });

  test(`${name}: invalid keys and oversized values are refused with a coded error`, async (t) => {
    const { store, dispose } = await factory();
    await t.throwsAsync(store.set('a', { 'bad key': 'x' }), { code: 'LWM2M_ERR_BAD_API_REQUEST' });
    await t.throwsAsync(store.set('a', { k: 'x'.repeat(300) }), { code: 'LWM2M_ERR_BAD_API_REQUEST' });
    t.deepEqual(await store.get('a'), {});
    await dispose();
  });
}
