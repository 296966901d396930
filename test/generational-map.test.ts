import test from 'ava';
import { GenerationalMap } from '../src/generational-map.js';

test('holds at most its capacity and forgets the least recently used first', (t) => {
  const m = new GenerationalMap<string, number>(10);
  for (let i = 0; i < 10; i++) m.set(`k${i}`, i);
  t.is(m.size, 10);
  // k0 is used again: it survives while others arrive.
  t.is(m.get('k0'), 0);
  for (let i = 10; i < 15; i++) m.set(`k${i}`, i);
  t.true(m.size <= 10);
  t.is(m.peek('k0'), 0);
  t.is(m.peek('k1'), undefined, 'the oldest unused entries went first');
  for (let i = 15; i < 1000; i++) {
    m.set(`k${i}`, i);
    t.true(m.size <= 10);
    if (i % 4 === 0) t.is(m.get('k0'), 0, `k0, used every 4 insertions, is kept (at ${i})`);
  }
  t.is(m.peek('k998'), 998);
});

test('peek does not count as a use; set of a known key keeps one entry; delete and has', (t) => {
  const m = new GenerationalMap<string, number>(4);
  m.set('a', 1).set('b', 2);
  m.set('c', 3).set('d', 4); // a, b now in the old generation
  t.is(m.peek('a'), 1);
  m.set('e', 5).set('f', 6); // old generation (a, b) dropped: peek did not save a
  t.false(m.has('a'));
  m.set('e', 50);
  t.is(m.get('e'), 50);
  t.is([...m.keys()].filter((k) => k === 'e').length, 1);
  t.true(m.delete('e'));
  t.false(m.delete('e'));
  t.false(m.has('e'));
  t.deepEqual([...m.keys()].sort(), ['c', 'd', 'f']);
  m.clear();
  t.is(m.size, 0);
});

test('a key promoted from the old generation is not held twice', (t) => {
  const m = new GenerationalMap<string, number>(4);
  m.set('a', 1).set('b', 2).set('c', 3); // a, b old; c young
  t.is(m.get('a'), 1);
  t.is(m.size, 3);
  t.deepEqual([...m.keys()].sort(), ['a', 'b', 'c']);
});
