import test from 'ava';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../src/clock.js';
import { RecordWriter } from '../../src/dtls/connection-state.js';
import { encodeFlight, RetransmitTimer, type FlightItem } from '../../src/dtls/flight.js';
import { parseHandshakeFragments } from '../../src/dtls/handshake-message.js';
import { HandshakeReassembler } from '../../src/dtls/reassembler.js';
import { parseRecords } from '../../src/dtls/record.js';

test('a flight larger than the MTU is fragmented and packed into datagrams no larger than the MTU', (t) => {
  const big = randomBytes(1000);
  const items: FlightItem[] = [
    { kind: 'handshake', epoch: 0, msgType: 2, messageSeq: 1, body: randomBytes(80) },
    { kind: 'handshake', epoch: 0, msgType: 11, messageSeq: 2, body: big },
    { kind: 'handshake', epoch: 0, msgType: 14, messageSeq: 3, body: Buffer.alloc(0) },
  ];
  const datagrams = encodeFlight(items, new RecordWriter(0), 256);
  t.true(datagrams.length >= 5);
  for (const d of datagrams) t.true(d.length <= 256, `datagram of ${d.length}`);
  const r = new HandshakeReassembler(1, { maxMessageLength: 4096, maxAhead: 4, maxBufferedBytes: 8192 });
  const seqs: number[] = [];
  for (const d of datagrams.reverse()) {
    for (const rec of parseRecords(d, 0)) {
      seqs.push(rec.seq);
      for (const f of parseHandshakeFragments(rec.fragment)) r.add(f, 0);
    }
  }
  const msgs = r.take();
  t.deepEqual(
    msgs.map((m) => m.msgType),
    [2, 11, 14],
  );
  t.deepEqual(msgs[1]!.body, big);
  t.is(new Set(seqs).size, seqs.length, 'every record has its own sequence number');
});

test('re-encoding a flight uses fresh record sequence numbers', (t) => {
  const w = new RecordWriter(5);
  const items: FlightItem[] = [{ kind: 'handshake', epoch: 0, msgType: 2, messageSeq: 1, body: Buffer.alloc(10) }];
  const first = parseRecords(encodeFlight(items, w, 1200)[0]!, 0)[0]!;
  const again = parseRecords(encodeFlight(items, w, 1200)[0]!, 0)[0]!;
  t.is(first.seq, 5);
  t.is(again.seq, 6);
});

test('the retransmission timer doubles from 1 s up to 60 s (RFC 6347 §4.2.4.1)', (t) => {
  const clock = new ManualClock(0);
  const timer = new RetransmitTimer(clock);
  const at: number[] = [];
  timer.start(() => at.push(clock.now()));
  clock.advance(200_000);
  t.deepEqual(at.slice(0, 8), [1000, 3000, 7000, 15_000, 31_000, 63_000, 123_000, 183_000]);
  timer.stop();
  const n = at.length;
  clock.advance(100_000);
  t.is(at.length, n);
});
