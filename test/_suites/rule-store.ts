import type { TestFn } from 'ava';
import type { RuleStore, StoredRule } from '../../src/rules/types.js';
import type { StoreFixture } from './registration-store.js';

export function storedRule(over: Partial<StoredRule> = {}): StoredRule {
  return {
    name: 'street-lights',
    spec: { when: 'presence-*:/3302/*/5500', if: 'value == true', then: [{ write: 'tag:street=5:/3311/0/5850', value: true }] },
    enabled: true,
    dryRun: false,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    ...over,
  };
}

/** The behaviour every RuleStore implementation must show. */
export function ruleStoreSuite(test: TestFn, name: string, factory: () => Promise<StoreFixture<RuleStore>>): void {
  test(`${name}: put stores a rule by name and returns what it replaced`, async (t) => {
    const { store, dispose } = await factory();
    const rule = storedRule();
    t.is(await store.put(rule), undefined);
    t.deepEqual(await store.get('street-lights'), rule);
    const disabled = storedRule({ enabled: false, updatedAt: 1_700_000_001_000 });
    t.deepEqual(await store.put(disabled), rule);
    t.deepEqual(await store.get('street-lights'), disabled);
    t.is(await store.get('other'), undefined);
    await dispose();
  });

  test(`${name}: list is ordered by name`, async (t) => {
    const { store, dispose } = await factory();
    for (const n of ['b', 'a', 'c-1', 'c']) await store.put(storedRule({ name: n }));
    t.deepEqual((await store.list()).map((r) => r.name), ['a', 'b', 'c', 'c-1']);
    await dispose();
  });

  test(`${name}: remove returns the removed rule; removing twice is undefined`, async (t) => {
    const { store, dispose } = await factory();
    await store.put(storedRule());
    t.deepEqual(await store.remove('street-lights'), storedRule());
    t.is(await store.remove('street-lights'), undefined);
    t.deepEqual(await store.list(), []);
    await dispose();
  });

  test(`${name}: returned rules are copies: changing one does not change the store`, async (t) => {
    const { store, dispose } = await factory();
    const rule = storedRule();
    await store.put(rule);
    rule.spec.when = 'changed-after-put:/1/0/1';
    const got = (await store.get('street-lights'))!;
    got.enabled = false;
    t.deepEqual(await store.get('street-lights'), storedRule());
    await dispose();
  });
}
