import test from 'ava';
import { ContentType, DTLS_1_2 } from '../../src/dtls/constants.js';
import { encodeRecord, parseRecords } from '../../src/dtls/record.js';
import { ReplayWindow } from '../../src/dtls/replay-window.js';

test('several records in one datagram are all parsed, with epoch and 48-bit sequence number', (t) => {
  const a = encodeRecord(ContentType.handshake, DTLS_1_2, 0, 7, Buffer.from('abc'));
  const b = encodeRecord(ContentType.applicationData, DTLS_1_2, 1, 2 ** 48 - 2, Buffer.from('hello'));
  const recs = parseRecords(Buffer.concat([a, b]), 0);
  t.is(recs.length, 2);
  t.deepEqual(
    recs.map((r) => [r.type, r.epoch, r.seq, r.fragment.toString()]),
    [
      [22, 0, 7, 'abc'],
      [23, 1, 2 ** 48 - 2, 'hello'],
    ],
  );
});

test('a truncated trailing record is dropped and the records before it are kept', (t) => {
  const a = encodeRecord(ContentType.handshake, DTLS_1_2, 0, 1, Buffer.from('abc'));
  const b = encodeRecord(ContentType.handshake, DTLS_1_2, 0, 2, Buffer.from('defgh'));
  const recs = parseRecords(Buffer.concat([a, b.subarray(0, b.length - 2)]), 0);
  t.is(recs.length, 1);
  t.is(recs[0]!.seq, 1);
});

test('a datagram that is not DTLS yields no records', (t) => {
  t.deepEqual(parseRecords(Buffer.from('GET / HTTP/1.1\r\n\r\n'), 0), []);
  t.deepEqual(parseRecords(Buffer.alloc(5), 0), []);
});

test('a tls12_cid record carries the connection ID between sequence number and length', (t) => {
  const cid = Buffer.from('a1b2c3', 'hex');
  const rec = encodeRecord(ContentType.tls12Cid, DTLS_1_2, 1, 5, Buffer.from('xyz'), cid);
  t.is(rec.length, 13 + 3 + 3);
  const [r] = parseRecords(rec, 3);
  t.truthy(r);
  t.deepEqual(r!.cid, cid);
  t.is(r!.fragment.toString(), 'xyz');
  // Without knowing our CID length the record cannot be parsed, so it is dropped.
  t.deepEqual(parseRecords(rec, 0), []);
});

test('the replay window accepts new numbers, rejects repeats and numbers older than 64', (t) => {
  const w = new ReplayWindow();
  t.true(w.mayAccept(0));
  w.accept(0);
  t.false(w.mayAccept(0));
  w.accept(100);
  t.true(w.mayAccept(99), 'inside the window and unseen');
  w.accept(99);
  t.false(w.mayAccept(99));
  t.true(w.mayAccept(37), '63 behind the top is still inside');
  t.false(w.mayAccept(36), '64 behind the top is outside');
  w.accept(300);
  t.false(w.mayAccept(100));
  t.true(w.mayAccept(299));
  t.is(w.highest, 300);
});

test('the replay window only moves when told: a checked but unaccepted number stays acceptable', (t) => {
  const w = new ReplayWindow();
  w.accept(10);
  t.true(w.mayAccept(500));
  // 500 failed authentication, so it was never accepted: 9 must still be in the window.
  t.true(w.mayAccept(9));
});

test('the replay window agrees with a plain set-of-seen-numbers model over random traffic, across the 32-bit word boundary', (t) => {
  // Model: accepted = every number accepted so far; a number is acceptable when unseen and
  // above (highest - 64). Random steps forward of 1..70 and random late arrivals, 20,000 times.
  let state = 12345;
  const rand = (n: number): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % n;
  };
  for (const start of [0, 2 ** 32 - 40, 2 ** 48 - 30_000]) {
    const w = new ReplayWindow();
    const seen = new Set<number>();
    let top = -1;
    let seq = start;
    for (let i = 0; i < 20_000; i++) {
      const candidate = rand(3) === 0 ? Math.max(0, top - rand(80)) : seq + rand(70);
      if (candidate > 2 ** 48 - 1) break;
      const expected = !seen.has(candidate) && candidate > top - 64;
      if (w.mayAccept(candidate) !== expected) {
        t.fail(`start ${start}, step ${i}: ${candidate} with top ${top}: expected ${expected}`);
        return;
      }
      // Only about half the acceptable numbers authenticate: the rest must leave no trace.
      if (expected && rand(2) === 0) {
        w.accept(candidate);
        seen.add(candidate);
        top = Math.max(top, candidate);
        if (candidate >= seq) seq = candidate + 1;
      }
    }
    t.is(w.highest, top);
  }
});
