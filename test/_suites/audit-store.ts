import type { TestFn } from 'ava';
import { auditCursor, type AuditStore } from '../../src/ops/types.js';
import type { StoreFixture } from './registration-store.js';

const admin = { kind: 'token', name: 'admin' } as const;

/** The behaviour every AuditStore implementation must show. */
export function auditStoreSuite(test: TestFn, name: string, factory: () => Promise<StoreFixture<AuditStore>>): void {
  test(`${name}: append assigns increasing seq numbers and list returns entries oldest first`, async (t) => {
    const { store, dispose } = await factory();
    const a = await store.append({ at: 1000, actor: admin, action: 'quarantine', target: 'ep-1', details: { reason: 'x' } });
    const b = await store.append({ at: 2000, actor: { kind: 'system', component: 'protection' }, action: 'throttle', target: 'ep-2' });
    t.true(b.seq > a.seq);
    t.deepEqual(await store.list(), [a, b]);
    await dispose();
  });

  test(`${name}: list filters by time range and pages with a cursor`, async (t) => {
    const { store, dispose } = await factory();
    const all = [];
    for (let i = 0; i < 10; i++) all.push(await store.append({ at: 1000 + i * 100, actor: admin, action: `a${i}` }));
    t.deepEqual((await store.list({ since: 1300, until: 1500 })).map((e) => e.action), ['a3', 'a4', 'a5']);
    const first = await store.list({ limit: 4 });
    t.deepEqual(first.map((e) => e.action), ['a0', 'a1', 'a2', 'a3']);
    const second = await store.list({ limit: 4, after: auditCursor(first[3]!) });
    t.deepEqual(second.map((e) => e.action), ['a4', 'a5', 'a6', 'a7']);
    t.deepEqual((await store.list({ since: 1100, after: auditCursor(all[7]!) })).map((e) => e.action), ['a8', 'a9']);
    await dispose();
  });

  test(`${name}: entries with the same time keep their append order`, async (t) => {
    const { store, dispose } = await factory();
    for (const action of ['x', 'y', 'z']) await store.append({ at: 5000, actor: admin, action });
    t.deepEqual((await store.list()).map((e) => e.action), ['x', 'y', 'z']);
    await dispose();
  });
}
