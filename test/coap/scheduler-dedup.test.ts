import test from 'ava';
import { ManualClock } from '../../src/clock.js';
import { DedupCache } from '../../src/coap/dedup.js';
import { Scheduler, type Scheduled } from '../../src/coap/scheduler.js';
import { resolveParameters } from '../../src/coap/parameters.js';

function item(name: string, fired: string[]): Scheduled {
  return { deadline: 0, heapIndex: -1, fire: () => void fired.push(name) };
}

test('the scheduler fires entries in deadline order with one clock timer', (t) => {
  const clock = new ManualClock(0);
  const s = new Scheduler(clock);
  const fired: string[] = [];
  const items = ['e', 'b', 'd', 'a', 'c'].map((n) => item(n, fired));
  const at: Record<string, number> = { a: 10, b: 20, c: 30, d: 40, e: 50 };
  for (const i of items) s.schedule(i, at[['e', 'b', 'd', 'a', 'c'][items.indexOf(i)]]);
  t.is(clock.pendingTimers, 1);
  s.cancel(items[2]); // d
  clock.advance(35);
  t.deepEqual(fired, ['a', 'b', 'c']);
  clock.advance(100);
  t.deepEqual(fired, ['a', 'b', 'c', 'e']);
  t.is(s.size, 0);
});

test('the scheduler keeps order through many random inserts and removals', (t) => {
  const clock = new ManualClock(0);
  const s = new Scheduler(clock);
  const fired: number[] = [];
  const all: (Scheduled & { id: number })[] = [];
  for (let i = 0; i < 500; i++) {
    const x = { id: i, deadline: 0, heapIndex: -1, fire: () => void fired.push(x.deadline) };
    all.push(x);
    s.schedule(x, 1 + ((i * 7919) % 1000));
  }
  for (let i = 0; i < 500; i += 3) s.cancel(all[i]);
  clock.advance(2000);
  t.is(fired.length, 500 - Math.ceil(500 / 3));
  t.deepEqual(fired, [...fired].sort((a, b) => a - b));
});

test('the dedup cache expires entries and never grows past its bound', (t) => {
  const d = new DedupCache(1000, 500, 100);
  for (let i = 0; i < 1000; i++) d.add(`p#${i}`, true, 0);
  t.is(d.size, 100);
  t.truthy(d.get('p#999', true, 10));
  t.is(d.get('p#0', true, 10), undefined);
  t.is(d.get('p#999', true, 1000), undefined, 'expired after its lifetime');
  d.add('q#1', false, 2000);
  t.is(d.size, 1, 'expired CON entries are pruned on the next insertion');
});

test('derived parameters follow the RFC 7252 §4.8.2 formulas', (t) => {
  const p = resolveParameters();
  t.is(p.MAX_TRANSMIT_SPAN, 45_000);
  t.is(p.MAX_TRANSMIT_WAIT, 93_000);
  t.is(p.MAX_RTT, 202_000);
  t.is(p.EXCHANGE_LIFETIME, 247_000);
  t.is(p.NON_LIFETIME, 145_000);
  const fast = resolveParameters({ ACK_TIMEOUT: 1000 });
  t.is(fast.MAX_TRANSMIT_SPAN, 22_500);
  t.throws(() => resolveParameters({ BLOCK_SIZE: 100 }), { instanceOf: RangeError });
  t.throws(() => resolveParameters({ TOKEN_LENGTH: 2 }), { instanceOf: RangeError });
});
