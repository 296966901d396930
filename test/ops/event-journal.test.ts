import test from 'ava';
import { resolveConfig } from '../../src/config.js';
import { EventBus } from '../../src/events.js';
import { EventJournal } from '../../src/ops/event-journal.js';

function journal(o: { capacity?: number; resumeWindowMs?: number } = {}) {
  let now = 1_000_000;
  const bus = new EventBus();
  const j = new EventJournal({ ...o, resumeOnly: ['notification'], now: () => now });
  let shaped = 0;
  j.follow(bus, ['notification', 'quarantine'], (_name, e) => {
    shaped++;
    return e as Record<string, unknown>;
  }, (_name, e) => (e as { endpoint: string }).endpoint);
  const notify = (i: number) => bus.emit('notification', { endpoint: 'dev-1', token: 'ab', paths: ['/3303/0/5700'], values: [], sequence: i });
  const quarantine = () => bus.emit('quarantine', { endpoint: 'dev-1', action: 'quarantined', reason: 'r', by: { kind: 'system', component: 'test' }, at: 0 });
  return { j, notify, quarantine, advance: (ms: number) => (now += ms), shaped: () => shaped };
}

const ids = (r: { events: { id: number }[] }) => r.events.map((e) => e.id);

test('before the first client, resume-only events take an id but are not kept (nor shaped); other events are', (t) => {
  const { j, notify, quarantine, shaped } = journal();
  notify(1);
  quarantine();
  notify(2);
  t.is(j.lastId, 3);
  const r = j.since(0);
  t.deepEqual(ids(r), [2]);
  t.false(r.complete);
  t.true(r.notKept);
  t.deepEqual(ids(j.since(0, (type) => type !== 'notification')), [2]);
  t.true(j.since(0, (type) => type !== 'notification').complete, 'a client that does not want notifications misses nothing');
  t.is(shaped(), 0);
});

test('while a client is connected and for the resume window after the last one left, every event is kept', (t) => {
  const { j, notify, quarantine, advance } = journal({ resumeWindowMs: 60_000 });
  const seen: number[] = [];
  const offA = j.subscribe((e) => seen.push(e.id));
  const offB = j.subscribe(() => undefined);
  notify(1);
  offA();
  advance(120_000);
  notify(2); // B is still connected
  offB();
  advance(59_999);
  notify(3);
  quarantine();
  t.deepEqual(seen, [1]);
  const r = j.since(0);
  t.deepEqual(ids(r), [1, 2, 3, 4]);
  t.true(r.complete);
  advance(1);
  notify(5);
  quarantine();
  t.deepEqual(ids(j.since(4)), [6]);
  t.false(j.since(4).complete);
  t.true(j.since(5).complete, 'nothing wanted was lost after id 5');
  // A new client: kept again from then on.
  const off = j.subscribe(() => undefined);
  off();
  notify(7);
  t.deepEqual(ids(j.since(6)), [7]);
  t.true(j.since(6).complete);
});

test('a slot reused by a later id is not replayed for an earlier one; capacity still bounds the buffer', (t) => {
  const { j, notify, quarantine } = journal({ capacity: 4 });
  quarantine(); // 1, kept
  notify(2); // 2, not kept
  quarantine(); // 3
  notify(4); // 4
  notify(5); // 5: slot 1 now stale (holds id 1)
  t.deepEqual(ids(j.since(1)), [3]);
  quarantine(); // 6
  t.is(j.oldestId, 3);
  t.deepEqual(ids(j.since(0, (type) => type !== 'notification')), [3, 6]);
  t.false(j.since(0, (type) => type !== 'notification').complete, 'ids 1-2 were dropped by capacity');
  t.true(j.since(2, (type) => type !== 'notification').complete);
});

test('the resume window and buffer size are validated with the rest of the configuration', (t) => {
  t.is(resolveConfig({}).events.resumeWindowMs, 600_000);
  t.is(resolveConfig({ events: { resumeWindowMs: 0 } }).events.bufferSize, 10_000);
  t.throws(() => resolveConfig({ events: { resumeWindowMs: -1 } }), { code: 'LWM2M_ERR_BAD_CONFIG', message: /events\.resumeWindowMs/ });
  t.throws(() => resolveConfig({ events: { bufferSize: 0 } }), { code: 'LWM2M_ERR_BAD_CONFIG', message: /events\.bufferSize/ });
});
