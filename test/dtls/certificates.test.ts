import test from 'ava';
import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { isLwm2mError } from '../../src/errors.js';
import { certificatesFrom, checkCertificateChain, checkRawPublicKey, loadCredentials } from '../../src/dtls/certificates.js';
import { hasBinary } from './helpers/run-process.js';
import { makeTestPki, type TestPki } from './helpers/test-pki.js';

const maybe = hasBinary('openssl') ? test : test.skip;
let pki: TestPki | undefined;
test.before(() => {
  if (hasBinary('openssl')) pki = makeTestPki();
});
test.after.always(() => pki?.cleanup());

const der = (name: string) => certificatesFrom(pki!.pem(name));
const ca = () => [new X509Certificate(pki!.pem('ca.pem'))];

maybe('a client certificate issued by the configured CA is accepted and its CN becomes the identity', (t) => {
  const v = checkCertificateChain(der('client.pem'), ca(), Date.now());
  t.true(v.ok);
  if (v.ok) t.deepEqual(v.identity.kind === 'x509' ? v.identity.commonName : '', 'urn:dev:device-x509');
});

maybe('a chain that includes its issuing CA is accepted too', (t) => {
  t.true(checkCertificateChain([...der('client.pem'), ...der('ca.pem')], ca(), Date.now()).ok);
});

maybe('a certificate from another CA, or outside its validity period, is refused', (t) => {
  t.false(checkCertificateChain(der('rogue.pem'), ca(), Date.now()).ok);
  const later = Date.now() + 10 * 24 * 3600_000;
  const v = checkCertificateChain(der('client.pem'), ca(), later);
  t.false(v.ok);
  if (!v.ok) t.regex(v.reason, /validity/);
});

maybe('a leaf cannot act as an issuer for another certificate', (t) => {
  // client.pem chains to the CA, but it is no CA itself, so what it signed is refused.
  const v = checkCertificateChain([...der('leaf-signed.pem'), ...der('client.pem')], ca(), Date.now());
  t.false(v.ok);
  if (!v.ok) t.is(v.reason, 'broken certificate chain');
});

maybe('a chain whose links do not match is refused', (t) => {
  t.false(checkCertificateChain([...der('rogue.pem'), ...der('client.pem')], ca(), Date.now()).ok);
});

maybe('several PEM blocks in one string are read as a chain', (t) => {
  t.is(certificatesFrom(pki!.pem('client.pem') + pki!.pem('ca.pem')).length, 2);
});

test('a raw public key must be P-256 and trusted', (t) => {
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' });
  t.true(checkRawPublicKey(p256, (k) => k.equals(p256)).ok);
  t.false(checkRawPublicKey(p256, () => false).ok);
  t.false(checkRawPublicKey(p256, undefined).ok);
  t.false(checkRawPublicKey(p384, () => true).ok);
  t.false(checkRawPublicKey(Buffer.from('not a key'), () => true).ok);
});

test('server credentials must be a P-256 key; a typed configuration error otherwise', (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  for (const bad of [rsa, 'not a key']) {
    const err = t.throws(() => loadCredentials({ privateKey: bad }));
    t.true(isLwm2mError(err));
  }
  const ok = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const creds = loadCredentials({ privateKey: ok.privateKey });
  t.deepEqual(creds.spki, createPublicKey(ok.privateKey).export({ type: 'spki', format: 'der' }));
});

maybe('a certificate that does not match the private key is a configuration error', (t) => {
  const err = t.throws(() => loadCredentials({ privateKey: pki!.pem('client.key'), chain: [pki!.pem('server.pem')] }));
  t.true(isLwm2mError(err));
  t.notThrows(() => loadCredentials({ privateKey: pki!.pem('server.key'), chain: [pki!.pem('server.pem')] }));
});
