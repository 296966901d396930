import test from 'ava';
import { ManualClock } from '../src/clock.js';

test('a manual clock fires due timers in time order and not before', (t) => {
  const clock = new ManualClock(0);
  const fired: string[] = [];
  clock.setTimer(300, () => fired.push('c'));
  clock.setTimer(100, () => fired.push('a'));
  const b = clock.setTimer(200, () => fired.push('b'));
  clock.advance(99);
  t.deepEqual(fired, []);
  b.cancel();
  clock.advance(250);
  t.deepEqual(fired, ['a', 'c']);
  t.is(clock.now(), 349);
});

test('a timer set by a firing timer runs in the same advance when due', (t) => {
  const clock = new ManualClock(0);
  const fired: number[] = [];
  clock.setTimer(10, () => {
    fired.push(clock.now());
    clock.setTimer(10, () => fired.push(clock.now()));
  });
  clock.advance(25);
  t.deepEqual(fired, [10, 20]);
});
