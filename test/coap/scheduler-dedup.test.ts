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
  for (let i = 0; i < 1000; i++) d.add('p', i, true, 0);
  t.is(d.size, 100);
  t.truthy(d.get('p', 999, true, 10));
  t.is(d.get('p', 0, true, 10), undefined);
  t.is(d.get('p', 999, false, 10), undefined, 'a NON with the MID of a CON is another message');
  t.is(d.get('q', 999, true, 10), undefined, 'the same MID from another peer is another message');
  t.is(d.get('p', 999, true, 1000), undefined, 'expired after its lifetime');
  d.add('q', 1, false, 2000);
  t.is(d.size, 1, 'expired CON entries are pruned on the next insertion');
  t.is(d.peers, 1, 'a peer whose entries all expired is forgotten');
});

test('the dedup bound is shared by all peers, oldest first; a MID past its lifetime is a new message', (t) => {
  const d = new DedupCache(1000, 500, 4);
  d.add('a', 1, true, 0);
  d.add('b', 1, true, 1);
  d.add('a', 2, true, 2);
  d.add('c', 7, true, 3);
  d.add('c', 8, true, 4); // evicts (a, 1), the oldest of all
  t.is(d.get('a', 1, true, 5), undefined);
  t.truthy(d.get('b', 1, true, 5));
  t.truthy(d.get('a', 2, true, 5));
  t.is(d.size, 4);
  d.add('d', 1, true, 6); // evicts (b, 1): b has no entry left
  t.is(d.peers, 3);
  t.is(d.get('c', 7, true, 1003), undefined);
  const again = d.add('c', 7, true, 1003);
  again.reply = 'ack';
  t.is(d.get('c', 7, true, 1004)?.reply, 'ack');
  t.is(d.get('c', 8, true, 1004), undefined, 'expired with its lifetime');
  d.clear();
  t.is(d.size, 0);
  t.is(d.peers, 0);
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
