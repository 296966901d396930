import test from 'ava';
import { oid, sequence, time, tlv, unsignedInteger, utf8String } from '../../src/security/der-writer.js';

const hex = (b: Buffer) => b.toString('hex');

test('lengths use the short form below 128 and the long form above (X.690 §8.1.3)', (t) => {
  t.is(hex(tlv(0x04, Buffer.alloc(127))).slice(0, 4), '047f');
  t.is(hex(tlv(0x04, Buffer.alloc(128))).slice(0, 6), '048180');
  t.is(hex(tlv(0x04, Buffer.alloc(300))).slice(0, 8), '0482012c');
  t.is(tlv(0x04, Buffer.alloc(300)).length, 304);
});

test('object identifiers encode like the standard examples', (t) => {
  t.is(hex(oid('1.2.840.10045.4.3.2')), '06082a8648ce3d040302'); // ecdsa-with-SHA256
  t.is(hex(oid('2.5.4.3')), '0603550403'); // commonName
  t.is(hex(oid('1.2.840.10045.3.1.7')), '06082a8648ce3d030107'); // prime256v1
  t.throws(() => oid('1'));
});

test('integers are minimal and positive', (t) => {
  t.is(hex(unsignedInteger(Buffer.from([0, 0, 5]))), '020105');
  t.is(hex(unsignedInteger(Buffer.from([0x80]))), '02020080');
  t.is(hex(unsignedInteger(Buffer.from([0, 0]))), '020100');
});

test('times are UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', (t) => {
  t.is(time(Date.UTC(2026, 0, 2, 3, 4, 5, 678)).toString('latin1'), '\x17\x0d260102030405Z');
  t.is(time(Date.UTC(2049, 11, 31, 23, 59, 59)).toString('latin1'), '\x17\x0d491231235959Z');
  t.is(time(Date.UTC(2050, 0, 1)).toString('latin1'), '\x18\x0f20500101000000Z');
});

test('sequences wrap their items; strings are UTF-8', (t) => {
  t.is(hex(sequence(utf8String('é'))), '30040c02c3a9');
});
