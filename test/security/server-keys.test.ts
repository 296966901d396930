import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { loadServerKeys, SERVER_CERT_FILE, SERVER_KEY_FILE } from '../../src/security/server-keys.js';
import { commonNameOf } from '../../src/security/trusted-cas.js';
import { makeTestPki } from '../dtls/helpers/test-pki.js';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'lwm2m-keys-'));
}

test('first start generates a P-256 key (PKCS#8 PEM, 0600) and a self-signed certificate (0600)', async (t) => {
  const parent = await tempDir();
  const dataDir = path.join(parent, 'data');
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const keys = await loadServerKeys({ dataDir, clock, commonName: 'my-server' });
  t.is(keys.source, 'generated');
  t.is((await stat(dataDir)).mode & 0o777, 0o700);
  for (const f of [SERVER_KEY_FILE, SERVER_CERT_FILE]) t.is((await stat(path.join(dataDir, f))).mode & 0o777, 0o600, f);
  t.regex(await readFile(path.join(dataDir, SERVER_KEY_FILE), 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  t.is(keys.privateKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.is(keys.rawPublicKey.length, 65);
  t.is(keys.rawPublicKey[0], 4);
  t.true(keys.spki.subarray(keys.spki.length - 65).equals(keys.rawPublicKey));

  const cert = new X509Certificate(keys.chain[0]!);
  t.is(commonNameOf(cert), 'my-server');
  t.true(cert.checkIssued(cert), 'self-issued');
  t.true(cert.verify(cert.publicKey), 'ECDSA-SHA256 signature verifies with its own key');
  t.true(cert.publicKey.export({ type: 'spki', format: 'der' }).equals(keys.spki));
  t.is(Date.parse(cert.validFrom), clock.now() - 3600_000);
  t.is(Date.parse(cert.validTo), clock.now() + 3650 * 86_400_000);
  t.true(cert.ca);
  await rm(parent, { recursive: true, force: true });
});

test('openssl reads the generated certificate and verifies it as its own trust anchor', async (t) => {
  const dataDir = await tempDir();
  await loadServerKeys({ dataDir });
  const crt = path.join(dataDir, SERVER_CERT_FILE);
  const text = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-text'], { encoding: 'utf8', timeout: 10_000 });
  t.regex(text, /Signature Algorithm: ecdsa-with-SHA256/);
  t.regex(text, /Subject: CN ?= ?lwm2m-server/);
  t.regex(text, /NIST CURVE: P-256/);
  t.regex(execFileSync('openssl', ['verify', '-CAfile', crt, crt], { encoding: 'utf8', timeout: 10_000 }), /: OK/);
  // The key file pairs with it.
  const pub = execFileSync('openssl', ['pkey', '-in', path.join(dataDir, SERVER_KEY_FILE), '-pubout'], { encoding: 'utf8', timeout: 10_000 });
  t.is(pub, execFileSync('openssl', ['x509', '-in', crt, '-noout', '-pubkey'], { encoding: 'utf8', timeout: 10_000 }));
  await rm(dataDir, { recursive: true, force: true });
});

test('later starts read the same key and certificate back', async (t) => {
  const dataDir = await tempDir();
  const first = await loadServerKeys({ dataDir });
  const second = await loadServerKeys({ dataDir });
  t.is(second.source, 'data-folder');
  t.true(second.spki.equals(first.spki));
  t.true(second.chain[0]!.equals(first.chain[0]!));
  // A deleted certificate is issued again for the same key.
  await rm(path.join(dataDir, SERVER_CERT_FILE));
  const third = await loadServerKeys({ dataDir });
  t.true(third.spki.equals(first.spki));
  t.false(third.chain[0]!.equals(first.chain[0]!), 'a new certificate (new serial)');
  t.true(new X509Certificate(third.chain[0]!).verify(createPublicKey(first.privateKey)));
  await rm(dataDir, { recursive: true, force: true });
});

test('--cert/--key files are used as given and nothing is written to the data folder', async (t) => {
  const pki = makeTestPki();
  const dataDir = await tempDir();
  const keys = await loadServerKeys({ dataDir, certFile: pki.file('server.pem'), keyFile: pki.file('server.key') });
  t.is(keys.source, 'given');
  t.is(commonNameOf(new X509Certificate(keys.chain[0]!)), 'lwm2m-server.test');
  await t.throwsAsync(stat(path.join(dataDir, SERVER_KEY_FILE)));
  // --key alone: raw public key mode only.
  const rpkOnly = await loadServerKeys({ dataDir, keyFile: pki.file('server.key') });
  t.deepEqual(rpkOnly.chain, []);
  t.true(rpkOnly.spki.equals(keys.spki));
  pki.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

test('bad --cert/--key combinations are configuration errors that never quote the key file', async (t) => {
  const pki = makeTestPki();
  const dataDir = await tempDir();
  const rsa = path.join(dataDir, 'rsa.key');
  await writeFile(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const junk = path.join(dataDir, 'junk.key');
  await writeFile(junk, '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n');
  const cases: [Parameters<typeof loadServerKeys>[0], RegExp][] = [
    [{ dataDir, certFile: pki.file('server.pem') }, /--cert needs --key/],
    [{ dataDir, keyFile: path.join(dataDir, 'missing.key') }, /does not exist/],
    [{ dataDir, keyFile: rsa }, /EC P-256 private key/],
    [{ dataDir, keyFile: junk }, /not a readable private key/],
    [{ dataDir, certFile: pki.file('client.pem'), keyFile: pki.file('server.key') }, /does not match the private key/],
    [{ dataDir, certFile: pki.file('server.key'), keyFile: pki.file('server.key') }, /holds no certificate/],
  ];
  for (const [o, message] of cases) {
    const err = await t.throwsAsync(loadServerKeys(o), { message });
    t.is((err as { code?: string }).code, 'LWM2M_ERR_BAD_CONFIG');
    t.false(err!.message.includes('c2VjcmV0'));
  }
  pki.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});
