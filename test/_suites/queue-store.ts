import type { TestFn } from 'ava';
import { isLwm2mError } from '../../src/errors.js';
import type { QueuedRequest, RequestQueueStore } from '../../src/store/types.js';
import type { StoreFixture } from './registration-store.js';

/** The queue contract plus `nextSeq` (a proposed contract addition, see queue-level.ts). */
export type SequencedQueueStore = RequestQueueStore & { nextSeq(): number };

export const T0 = 1_700_000_000_000;

export function request(over: Partial<QueuedRequest> = {}): QueuedRequest {
  const seq = over.seq ?? 1;
  return {
    id: `q${seq}`,
    endpoint: 'ep-1',
    seq,
    operation: 'read',
    args: { path: '/3/0' },
    status: 'pending',
    createdAt: T0,
    expiresAt: T0 + 60_000,
    updatedAt: T0,
    ...over,
  };
}

/** The behaviour every RequestQueueStore implementation must show. */
export function queueStoreSuite(test: TestFn, name: string, factory: () => Promise<StoreFixture<SequencedQueueStore>>): void {
  test(`${name}: pending lists a device's requests in seq order, whatever the enqueue order`, async (t) => {
    const { store, dispose } = await factory();
    for (const seq of [3, 1, 10, 2]) await store.enqueue(request({ seq }));
    await store.enqueue(request({ seq: 4, endpoint: 'ep-10' }));
    t.deepEqual((await store.pending('ep-1')).map((r) => r.seq), [1, 2, 3, 10]);
    t.deepEqual((await store.pending('ep-10')).map((r) => r.id), ['q4']);
    t.deepEqual(await store.pending('ep-2'), []);
    await dispose();
  });

  test(`${name}: get answers by id with the request as stored`, async (t) => {
    const { store, dispose } = await factory();
    const r = request({ args: { path: '/3/0/1', nested: { a: [1, 2] } } });
    await store.enqueue(r);
    t.deepEqual(await store.get('q1'), r);
    t.is(await store.get('nope'), undefined);
    await dispose();
  });

  test(`${name}: enqueue refuses a duplicate id and a request that is not pending`, async (t) => {
    const { store, dispose } = await factory();
    await store.enqueue(request());
    const dup = await t.throwsAsync(store.enqueue(request({ seq: 2, id: 'q1' })));
    t.true(isLwm2mError(dup) && dup.code === 'LWM2M_ERR_BAD_REQUEST');
    const sent = await t.throwsAsync(store.enqueue(request({ seq: 3, status: 'sent' })));
    t.true(isLwm2mError(sent) && sent.code === 'LWM2M_ERR_BAD_REQUEST');
    t.is(await store.depth(), 1);
    await dispose();
  });

  test(`${name}: nextSeq orders new requests after every stored one`, async (t) => {
    const { store, dispose } = await factory();
    await store.enqueue(request({ seq: 41 }));
    const a = store.nextSeq();
    const b = store.nextSeq();
    t.true(a > 41);
    t.true(b > a);
    await dispose();
  });

  test(`${name}: setStatus walks pending -> sent -> succeeded, returning the previous version each time`, async (t) => {
    const { store, dispose } = await factory();
    await store.enqueue(request());
    const before = await store.setStatus('q1', 'sent', T0 + 1);
    t.is(before?.status, 'pending');
    t.deepEqual(await store.pending('ep-1'), []);
    t.is(await store.depth('ep-1'), 0);
    const sent = await store.setStatus('q1', 'succeeded', T0 + 2, { code: '2.05', value: 42 });
    t.is(sent?.status, 'sent');
    t.is(sent?.updatedAt, T0 + 1);
    const done = await store.get('q1');
    t.is(done?.status, 'succeeded');
    t.is(done?.updatedAt, T0 + 2);
    t.deepEqual(done?.result, { code: '2.05', value: 42 });
    await dispose();
  });

  test(`${name}: a finished request cannot change again; an unknown id changes nothing`, async (t) => {
    const { store, dispose } = await factory();
    await store.enqueue(request());
    await store.setStatus('q1', 'cancelled', T0 + 1);
    const e = await t.throwsAsync(store.setStatus('q1', 'sent', T0 + 2));
    t.true(isLwm2mError(e) && e.code === 'LWM2M_ERR_PRECONDITION_FAILED');
    t.is((await store.get('q1'))?.status, 'cancelled');
    t.is(await store.setStatus('nope', 'sent', T0), undefined);
    await dispose();
  });

  test(`${name}: a sent request put back to pending keeps its place in the order`, async (t) => {
    const { store, dispose } = await factory();
    for (const seq of [1, 2, 3]) await store.enqueue(request({ seq }));
    await store.setStatus('q1', 'sent', T0 + 1);
    t.deepEqual((await store.pending('ep-1')).map((r) => r.seq), [2, 3]);
    await store.setStatus('q1', 'pending', T0 + 2);
    t.deepEqual((await store.pending('ep-1')).map((r) => r.seq), [1, 2, 3]);
    t.is(await store.depth('ep-1'), 3);
    await dispose();
  });

  test(`${name}: expire marks exactly the pending requests past expiresAt and returns them updated`, async (t) => {
    const { store, dispose } = await factory();
    await store.enqueue(request({ seq: 1, expiresAt: T0 + 10 }));
    await store.enqueue(request({ seq: 2, expiresAt: T0 + 20 }));
    await store.enqueue(request({ seq: 3, expiresAt: T0 + 30, endpoint: 'ep-2' }));
    await store.enqueue(request({ seq: 4, expiresAt: T0 + 5 }));
    await store.setStatus('q4', 'sent', T0 + 1);
    const gone = await store.expire(T0 + 20);
    t.deepEqual(gone.map((r) => [r.id, r.status, r.updatedAt]), [['q1', 'expired', T0 + 20], ['q2', 'expired', T0 + 20]]);
    t.is((await store.get('q2'))?.status, 'expired');
    t.is((await store.get('q4'))?.status, 'sent', 'a sent request does not expire');
    t.deepEqual((await store.pending('ep-2')).map((r) => r.id), ['q3']);
    t.deepEqual(await store.expire(T0 + 20), []);
    t.is(await store.depth(), 1);
    await dispose();
  });

  test(`${name}: cancelEndpoint cancels one device's pending requests only`, async (t) => {
    const { store, dispose } = await factory();
    await store.enqueue(request({ seq: 1 }));
    await store.enqueue(request({ seq: 2 }));
    await store.enqueue(request({ seq: 3, endpoint: 'ep-2' }));
    await store.setStatus('q2', 'sent', T0);
    const gone = await store.cancelEndpoint('ep-1', T0 + 5);
    t.deepEqual(gone.map((r) => [r.id, r.status, r.updatedAt]), [['q1', 'cancelled', T0 + 5]]);
    t.is((await store.get('q2'))?.status, 'sent');
    t.is(await store.depth('ep-1'), 0);
    t.is(await store.depth('ep-2'), 1);
    await dispose();
  });

  test(`${name}: cancel withdraws one pending request; a sent or finished one is refused unchanged`, async (t) => {
    const { store, dispose } = await factory();
    for (let seq = 1; seq <= 3; seq++) await store.enqueue(request({ seq }));
    await store.setStatus('q3', 'sent', T0);
    const gone = await store.cancel('q1', T0 + 7);
    t.deepEqual(gone && [gone.id, gone.status, gone.updatedAt], ['q1', 'cancelled', T0 + 7]);
    t.deepEqual((await store.get('q1'))?.status, 'cancelled', 'stored');
    t.deepEqual((await store.pending('ep-1')).map((r) => r.id), ['q2']);
    t.is(await store.depth('ep-1'), 1);
    const refused = await t.throwsAsync(store.cancel('q3', T0 + 8));
    t.true(isLwm2mError(refused) && refused.code === 'LWM2M_ERR_PRECONDITION_FAILED');
    t.is((await store.get('q3'))?.status, 'sent');
    await t.throwsAsync(store.cancel('q1', T0 + 9), { message: /q1 is cancelled/ });
    t.is(await store.cancel('nope', T0), undefined);
    await store.cancel('q2', T0 + 10);
    t.false(store.hasPending('ep-1'));
    await dispose();
  });

  test(`${name}: depth counts pending requests per device and in all`, async (t) => {
    const { store, dispose } = await factory();
    for (let seq = 1; seq <= 5; seq++) await store.enqueue(request({ seq, endpoint: seq <= 3 ? 'a' : 'b' }));
    await store.setStatus('q1', 'sent', T0);
    t.is(await store.depth('a'), 2);
    t.is(await store.depth('b'), 2);
    t.is(await store.depth('c'), 0);
    t.is(await store.depth(), 4);
    await dispose();
  });

  test(`${name}: hasPending follows enqueue, sent, put back and cancel`, async (t) => {
    const { store, dispose } = await factory();
    t.false(store.hasPending('a'));
    await store.enqueue(request({ seq: 1, endpoint: 'a' }));
    t.true(store.hasPending('a'));
    t.false(store.hasPending('b'));
    await store.setStatus('q1', 'sent', T0);
    t.false(store.hasPending('a'), 'in flight is not pending');
    await store.setStatus('q1', 'pending', T0 + 1);
    t.true(store.hasPending('a'), 'put back after a timeout');
    await store.cancelEndpoint('a', T0 + 2);
    t.false(store.hasPending('a'));
    await dispose();
  });

  test(`${name}: prune forgets finished requests older than the limit and keeps the rest`, async (t) => {
    const { store, dispose } = await factory();
    for (let seq = 1; seq <= 4; seq++) await store.enqueue(request({ seq }));
    await store.setStatus('q1', 'sent', T0 + 1);
    await store.setStatus('q1', 'succeeded', T0 + 10, { ok: true });
    await store.setStatus('q2', 'cancelled', T0 + 20);
    await store.setStatus('q3', 'sent', T0 + 5);
    t.is(await store.prune(T0 + 20), 1);
    t.is(await store.get('q1'), undefined);
    t.is((await store.get('q2'))?.status, 'cancelled', 'finished at the limit: kept');
    t.is((await store.get('q3'))?.status, 'sent', 'unfinished: kept however old');
    t.is((await store.get('q4'))?.status, 'pending');
    t.is(await store.prune(T0 + 21), 1);
    t.is(await store.get('q2'), undefined);
    await dispose();
  });

  test(`${name}: many requests keep their order under concurrent enqueue`, async (t) => {
    const { store, dispose } = await factory();
    const seqs = Array.from({ length: 300 }, () => store.nextSeq());
    await Promise.all([...seqs].reverse().map((seq) => store.enqueue(request({ seq, id: `m${seq}` }))));
    const pending = await store.pending('ep-1');
    t.deepEqual(pending.map((r) => r.seq), seqs);
    t.is(await store.depth('ep-1'), 300);
    await dispose();
  });

  test(`${name}: returned requests are copies: changing one does not change the store`, async (t) => {
    const { store, dispose } = await factory();
    await store.enqueue(request());
    const got = (await store.get('q1')) as QueuedRequest;
    got.status = 'failed';
    got.args.path = '/9';
    t.is((await store.get('q1'))?.status, 'pending');
    t.deepEqual((await store.get('q1'))?.args, { path: '/3/0' });
    await dispose();
  });
}
