import test from 'ava';
import { createPublicKey, ECDH, generateKeyPairSync } from 'node:crypto';
import { fingerprint, lookupKey, rawPoint, toSpki } from '../../src/security/public-key.js';

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return { spki, raw: Buffer.from(spki.subarray(spki.length - 65)), publicKey, privateKey };
}

test('every accepted form of a P-256 public key becomes the same SubjectPublicKeyInfo', (t) => {
  const k = keyPair();
  const compressed = ECDH.convertKey(k.raw, 'prime256v1', undefined, undefined, 'compressed') as Buffer;
  const forms: (Buffer | string)[] = [
    k.spki,
    k.raw,
    compressed,
    k.spki.toString('hex'),
    k.raw.toString('hex').toUpperCase(),
    k.raw.toString('hex').replace(/(..)/g, '$1:').slice(0, -1),
    k.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    // A private key gives its public half.
    k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    k.privateKey.export({ type: 'sec1', format: 'pem' }) as string,
  ];
  for (const f of forms) t.true(toSpki(f).equals(k.spki));
  t.true(createPublicKey({ key: toSpki(k.raw), format: 'der', type: 'spki' }).equals(k.publicKey));
});

test('points off the curve, other curves and junk are refused', (t) => {
  const offCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]);
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
  const bad: (Buffer | string)[] = [
    offCurve,
    Buffer.concat([Buffer.from([2]), Buffer.alloc(32, 0xff)]),
    p384.export({ type: 'spki', format: 'der' }),
    p384.export({ type: 'spki', format: 'pem' }) as string,
    'not hex',
    'abc',
    '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
    Buffer.alloc(0),
  ];
  for (const b of bad) t.throws(() => toSpki(b), { message: /P-256|public key|PEM/ });
});

test('lookupKey maps a raw point and its SPKI to the same index key without crypto', (t) => {
  const k = keyPair();
  t.is(lookupKey(k.raw), lookupKey(k.spki));
  t.is(lookupKey(new Uint8Array(k.spki)), k.spki.toString('hex'));
  t.true(rawPoint(k.spki).equals(k.raw));
  t.throws(() => rawPoint(Buffer.from('3000', 'hex')));
});

test('fingerprints are short, stable and differ between keys', (t) => {
  const a = keyPair();
  const b = keyPair();
  t.regex(fingerprint(a.spki), /^sha256:[0-9a-f]{32}$/);
  t.is(fingerprint(a.spki), fingerprint(Buffer.from(a.spki)));
  t.not(fingerprint(a.spki), fingerprint(b.spki));
});
