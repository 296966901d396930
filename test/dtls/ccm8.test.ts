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
