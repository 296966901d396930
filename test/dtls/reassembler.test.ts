import test from 'ava';
import { fragmentHandshake, encodeHandshake, parseHandshakeFragments } from '../../src/dtls/handshake-message.js';
import { HandshakeReassembler } from '../../src/dtls/reassembler.js';

const body = Buffer.from(Array.from({ length: 100 }, (_, i) => i));

function frags(seq: number, size: number) {
  return fragmentHandshake(16, seq, body, size).flatMap((f) => parseHandshakeFragments(f));
}

test('fragments arriving out of order are reassembled into the original message', (t) => {
  const r = new HandshakeReassembler(2);
  const fs = frags(2, 30).reverse();
  for (const f of fs.slice(0, -1)) {
    t.is(r.add(f, 0), 'buffered');
    t.deepEqual(r.take(), []);
  }
  r.add(fs[fs.length - 1]!, 0);
  const [m] = r.take();
  t.deepEqual(m?.body, body);
  t.is(m?.messageSeq, 2);
  t.is(r.nextSeq, 3);
});

test('overlapping and repeated fragments are merged', (t) => {
  const r = new HandshakeReassembler(0);
  const whole = parseHandshakeFragments(encodeHandshake(16, 0, body))[0]!;
  const part = (off: number, len: number) => ({ ...whole, fragmentOffset: off, body: body.subarray(off, off + len) });
  r.add(part(0, 60), 0);
  r.add(part(40, 30), 0);
  r.add(part(40, 30), 0);
  t.deepEqual(r.take(), []);
  r.add(part(65, 35), 0);
  t.deepEqual(r.take()[0]?.body, body);
});

test('several messages in one record come out in message_seq order', (t) => {
  const rec = Buffer.concat([encodeHandshake(14, 4, Buffer.alloc(0)), encodeHandshake(2, 3, Buffer.from('sh'))]);
  const r = new HandshakeReassembler(3);
  for (const f of parseHandshakeFragments(rec)) r.add(f, 0);
  t.deepEqual(
    r.take().map((m) => [m.msgType, m.messageSeq]),
    [
      [2, 3],
      [14, 4],
    ],
  );
});

test('messages already delivered are reported as old (the peer retransmits)', (t) => {
  const r = new HandshakeReassembler(5);
  t.is(r.add(frags(4, 200)[0]!, 0), 'old');
});

test('reassembly memory is bounded: long messages, far-ahead messages and total bytes', (t) => {
  const r = new HandshakeReassembler(0, { maxMessageLength: 64, maxAhead: 2, maxBufferedBytes: 150 });
  t.is(r.add(frags(0, 50)[0]!, 0), 'rejected', 'declared length above the limit');
  const small = (seq: number) => parseHandshakeFragments(fragmentHandshake(16, seq, Buffer.alloc(60), 10)[0]!)[0]!;
  t.is(r.add(small(3), 0), 'rejected', 'too far ahead');
  t.is(r.add(small(0), 0), 'buffered');
  t.is(r.add(small(1), 0), 'buffered');
  t.is(r.add(small(2), 0), 'rejected', 'would exceed the buffered-bytes cap');
  t.is(r.bufferedBytes, 120);
});

test('a fragment that disagrees with the message length is rejected', (t) => {
  const r = new HandshakeReassembler(0);
  r.add(frags(0, 30)[0]!, 0);
  const other = parseHandshakeFragments(fragmentHandshake(16, 0, Buffer.alloc(50), 10)[1]!)[0]!;
  t.is(r.add(other, 0), 'rejected');
});

test('a fragment running past its record or its message is a decode error', (t) => {
  const msg = encodeHandshake(16, 0, body);
  t.throws(() => parseHandshakeFragments(msg.subarray(0, 50)));
  const bad = Buffer.from(msg);
  bad.writeUIntBE(90, 6, 3); // offset 90 + 100 > length 100
  t.throws(() => parseHandshakeFragments(bad));
});
