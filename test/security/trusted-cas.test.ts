import test from 'ava';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { certificatesFromText, commonNameOf, loadTrustedCas, validateChain } from '../../src/security/trusted-cas.js';
import { makeTestPki, type TestPki } from '../dtls/helpers/test-pki.js';

let pki: TestPki;
test.before(() => {
  pki = makeTestPki();
});
test.after.always(() => pki?.cleanup());

const der = (name: string) => certificatesFromText(pki.pem(name))[0]!;

test('--ca takes a PEM file or a folder of certificate files', async (t) => {
  const one = await loadTrustedCas([pki.file('ca.pem')]);
  t.deepEqual(one.map(commonNameOf), ['ca']);
  const dir = path.join(pki.dir, 'cas');
  mkdirSync(dir);
  copyFileSync(pki.file('ca.pem'), path.join(dir, 'a.pem'));
  copyFileSync(pki.file('rogue-ca.pem'), path.join(dir, 'b.crt'));
  writeFileSync(path.join(dir, 'notes.txt'), 'ignored: not a certificate file name');
  t.deepEqual((await loadTrustedCas([dir])).map(commonNameOf), ['ca', 'rogue-ca']);
  // Several blocks in one file.
  const bundle = path.join(pki.dir, 'bundle.pem');
  writeFileSync(bundle, pki.pem('ca.pem') + pki.pem('rogue-ca.pem'));
  t.is((await loadTrustedCas([bundle])).length, 2);
});

test('--ca refuses a missing path, a file without certificates and a non-CA certificate', async (t) => {
  await t.throwsAsync(loadTrustedCas([path.join(pki.dir, 'nope.pem')]), { message: /no such file or folder/ });
  await t.throwsAsync(loadTrustedCas([pki.file('ca.key')]), { message: /no certificate in it/ });
  const err = await t.throwsAsync(loadTrustedCas([pki.file('client.pem')]), { message: /is not a CA certificate/ });
  t.is((err as { code?: string }).code, 'LWM2M_ERR_BAD_CONFIG');
});

test('a device certificate issued by a trusted CA is valid and its CN names the endpoint', async (t) => {
  const cas = [new X509Certificate(der('ca.pem'))];
  const verdict = validateChain([der('client.pem')], cas, Date.now());
  t.true(verdict.ok);
  t.is(verdict.ok && verdict.commonName, 'urn:dev:device-x509');
  // The chain may carry the CA itself.
  t.true(validateChain([der('client.pem'), der('ca.pem')], cas, Date.now()).ok);
});

test('untrusted issuers, expired or not-yet-valid certificates and broken chains are refused', async (t) => {
  const cas = [new X509Certificate(der('ca.pem'))];
  const reason = (v: ReturnType<typeof validateChain>) => (v.ok ? 'ok' : v.reason);
  t.regex(reason(validateChain([der('rogue.pem')], cas, Date.now())), /not issued by a trusted CA/);
  t.regex(reason(validateChain([der('client.pem')], cas, Date.now() + 3 * 86_400_000)), /outside its validity period/);
  t.regex(reason(validateChain([der('client.pem')], cas, Date.now() - 86_400_000)), /outside its validity period/);
  t.regex(reason(validateChain([der('client.pem'), der('rogue-ca.pem')], cas, Date.now())), /not signed by the next certificate/);
  t.regex(reason(validateChain([Buffer.from('nonsense')], cas, Date.now())), /unreadable certificate/);
  t.regex(reason(validateChain([], cas, Date.now())), /empty certificate chain/);
  t.regex(reason(validateChain([der('client.pem')], [], Date.now())), /not issued by a trusted CA/);
});
