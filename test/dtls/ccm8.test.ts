import test from 'ava';
import { createCipheriv, randomBytes } from 'node:crypto';
import { Ccm8 } from '../../src/dtls/ccm8.js';
import { hotCcmKeys, MAX_HOT_KEYS, protect, unprotect, type DirectionKeys } from '../../src/dtls/record-protection.js';

/** The reference: OpenSSL's AES-128-CCM through node:crypto, one context per message. */
function reference(key: Buffer, nonce: Buffer, aad: Buffer, plain: Buffer): Buffer {
  const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: 8 });
  c.setAAD(aad, { plaintextLength: plain.length });
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}

test('Ccm8 seals exactly like OpenSSL AES-128-CCM (8-byte tag) for every length 0..100, many messages on one context', (t) => {
  const key = randomBytes(16);
  const ccm = new Ccm8(key);
  // OpenSSL's CCM cannot seal an empty plaintext (its final() fails), so lengths start at 1.
  for (let len = 1; len <= 100; len++) {
    for (const aadLen of [0, 13, 29]) {
      const nonce = randomBytes(12);
      const aad = randomBytes(aadLen);
      const plain = randomBytes(len);
      const sealed = ccm.seal(nonce, aad, plain);
      t.deepEqual(sealed, reference(key, nonce, aad, plain), `len ${len} aad ${aadLen}`);
      t.deepEqual(ccm.open(nonce, aad, sealed), plain);
    }
  }
});

test('Ccm8 seals and opens an empty plaintext (tag only)', (t) => {
  const ccm = new Ccm8(randomBytes(16));
  const nonce = randomBytes(12);
  const aad = randomBytes(13);
  const sealed = ccm.seal(nonce, aad, Buffer.alloc(0));
  t.is(sealed.length, 8);
  t.deepEqual(ccm.open(nonce, aad, sealed), Buffer.alloc(0));
  sealed[0]! ^= 1;
  t.is(ccm.open(nonce, aad, sealed), undefined);
});

test('Ccm8 opens what OpenSSL sealed, and refuses any flipped bit, other AAD or other nonce', (t) => {
  const key = randomBytes(16);
  const ccm = new Ccm8(key);
  const nonce = randomBytes(12);
  const aad = randomBytes(13);
  const plain = Buffer.from('a CoAP request of some forty bytes......');
  const sealed = reference(key, nonce, aad, plain);
  t.deepEqual(ccm.open(nonce, aad, sealed), plain);
  for (let i = 0; i < sealed.length * 8; i++) {
    const bad = Buffer.from(sealed);
    bad[i >> 3]! ^= 1 << (i & 7);
    t.is(ccm.open(nonce, aad, bad), undefined, `bit ${i}`);
  }
  const otherAad = Buffer.from(aad);
  otherAad[12]! ^= 1;
  t.is(ccm.open(nonce, otherAad, sealed), undefined);
  t.is(ccm.open(randomBytes(12), aad, sealed), undefined);
  t.is(ccm.open(nonce, aad, sealed.subarray(0, 7)), undefined);
  // A failed open leaves the context usable.
  t.deepEqual(ccm.open(nonce, aad, sealed), plain);
});

test('Ccm8 matches OpenSSL for a 16 KB record (many blocks, 3-byte length field)', (t) => {
  const key = randomBytes(16);
  const nonce = randomBytes(12);
  const aad = randomBytes(13);
  const plain = randomBytes(16384);
  t.deepEqual(new Ccm8(key).seal(nonce, aad, plain), reference(key, nonce, aad, plain));
});

test('at most MAX_HOT_KEYS keys hold cipher contexts; a key that lost them still seals and opens, and busy keys are kept', (t) => {
  const header = { type: 23, version: 0xfefd, epoch: 1, seq: 7 };
  const newKeys = (): DirectionKeys => ({ cipher: 'aes128_ccm8', encKey: randomBytes(16), macKey: Buffer.alloc(0), fixedIv: randomBytes(4) });
  const busy = newKeys();
  const all = Array.from({ length: MAX_HOT_KEYS + 50 }, newKeys);
  const roundTrip = (k: DirectionKeys): void => {
    const rec = protect(k, header, Buffer.from('data'), 23);
    t.deepEqual(unprotect(k, header, rec)?.content, Buffer.from('data'));
  };
  for (const k of all) {
    roundTrip(k);
    roundTrip(busy); // used all the time: never the one evicted
  }
  t.true(hotCcmKeys() <= MAX_HOT_KEYS, `${hotCcmKeys()} hot keys`);
  t.truthy(busy.ccm, 'the busy key kept its contexts');
  const evicted = all.filter((k) => k.ccm === undefined);
  t.true(evicted.length >= 50);
  roundTrip(evicted[0]!);
  t.truthy(evicted[0]!.ccm);
  t.true(hotCcmKeys() <= MAX_HOT_KEYS);
});

/** The 12-byte nonce salt || hi (16 bits) || lo (48 bits). */
function recordNonce(salt: Buffer, hi: number, lo: number): Buffer {
  const n = Buffer.alloc(12);
  salt.copy(n);
  n.writeUInt16BE(hi, 4);
  n.writeUIntBE(lo, 6, 6);
  return n;
}

test('sealRecord/openRecord (batched keystream) match OpenSSL for every nonce: in order, across batches, out of order, repeated, other epochs, sizes that outgrow the batch, the 48-bit end', (t) => {
  const key = randomBytes(16);
  const salt = randomBytes(4);
  const sender = new Ccm8(key, salt);
  const receiver = new Ccm8(key, salt);
  const steps: Array<[number, number, number]> = [];
  for (let seq = 0; seq < 40; seq++) steps.push([1, seq, 1 + ((seq * 7) % 60)]);
  // Out of order, a repeat (the receiver sees a retransmitted datagram), a jump, back again.
  steps.push([1, 45, 20], [1, 43, 20], [1, 43, 20], [1, 44, 47], [1, 1000, 10], [1, 41, 5]);
  // Bigger than a batch's blocks per record, then far bigger than any batch.
  steps.push([1, 1001, 200], [1, 1002, 30], [1, 1003, 900], [1, 1004, 3]);
  // Another epoch with the same low bits; the last nonces before 2^48 (no wrap inside a batch).
  steps.push([2, 1002, 30], [1, 1002, 31], [0xffff, 2 ** 48 - 3, 16], [0xffff, 2 ** 48 - 2, 17], [0xffff, 2 ** 48 - 1, 18], [0, 0, 1]);
  for (const [hi, lo, len] of steps) {
    const plain = randomBytes(len);
    const aad = randomBytes(13);
    const expected = reference(key, recordNonce(salt, hi, lo), aad, plain);
    const out = Buffer.alloc(3 + expected.length);
    sender.sealRecord(hi, lo, aad, plain, out, 3);
    t.deepEqual(out.subarray(3), expected, `seal ${hi}/${lo}/${len}`);
    t.deepEqual(receiver.openRecord(hi, lo, aad, out, 3, out.length), plain, `open ${hi}/${lo}/${len}`);
    // The wrong nonce, even the neighbour in the same batch, does not open it.
    t.is(receiver.openRecord(hi, lo === 0 ? 1 : lo - 1, aad, out, 3, out.length), undefined);
    const bad = Buffer.from(out);
    bad[bad.length - 1]! ^= 0x80;
    t.is(receiver.openRecord(hi, lo, aad, bad, 3, bad.length), undefined);
  }
});
