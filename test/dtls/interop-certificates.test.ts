import test from 'ava';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hasBinary, runPeer } from './helpers/run-process.js';
import { startCoapResponder } from './helpers/coap-responder.js';
import { makeTestPki, type TestPki } from './helpers/test-pki.js';
import type { DtlsServerOptions } from '../../src/dtls/options.js';

/**
 * TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (RFC 7251) against real peers: OpenSSL's s_client and
 * libcoap with X.509 (chain checked against our CA, CN exposed), libcoap/GnuTLS with RFC 7250
 * raw public keys. OpenSSL 3.0 has no RPK, so RPK interop is GnuTLS only.
 */
const haveOpenssl = hasBinary('openssl');
let pki: TestPki | undefined;
test.before(() => {
  if (haveOpenssl) pki = makeTestPki();
});
test.after.always(() => pki?.cleanup());

function certOptions(p: TestPki): Partial<DtlsServerOptions> {
  const rpk = createPublicKey(p.pem('rpk-client.pub')).export({ type: 'spki', format: 'der' });
  return {
    psk: () => undefined,
    certificate: {
      privateKey: p.pem('server.key'),
      chain: [p.pem('server.pem')],
      trustedCas: [p.pem('ca.pem')],
      trustRawPublicKey: (spki) => spki.equals(rpk),
    },
  };
}

function sClient(p: TestPki, port: number, extra: string[]): string[] {
  return ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${port}`, '-cipher', 'ECDHE-ECDSA-AES128-CCM8', '-CAfile', p.file('ca.pem'), '-verify_return_error', ...extra];
}

const withOpenssl = haveOpenssl ? test.serial : test.skip;

for (const mtu of [undefined, 256]) {
  withOpenssl(`openssl s_client X.509 both ways${mtu ? ` at MTU ${mtu} (our Certificate is fragmented)` : ''}: CN exposed, echo`, async (t) => {
    const p = pki!;
    const s = await startCoapResponder({ ...certOptions(p), ...(mtu ? { limits: { mtu } } : {}) });
    t.teardown(() => s.server.close());
    // s_client sends raw lines, not CoAP, so answer them directly.
    s.server.onDatagram((d) => s.server.send(Buffer.from(`echo:${d.data.toString()}`), d.peer));
    const extra = ['-cert', p.file('client.pem'), '-key', p.file('client.key'), ...(mtu ? ['-mtu', String(mtu)] : [])];
    const r = await runPeer('openssl', sClient(p, s.port, extra), { input: 'x509 hello\n', writeWhen: /Extended master secret/, endWhen: /echo:x509 hello/ });
    t.regex(r.output, /Cipher is ECDHE-ECDSA-AES128-CCM8/);
    t.regex(r.output, /Verify return code: 0 \(ok\)/, 's_client validated our chain');
    t.regex(r.output, /echo:x509 hello/);
    const id = s.received[0]?.identity;
    t.is(id?.kind, 'x509');
    t.is(id?.kind === 'x509' ? id.commonName : '', 'urn:dev:device-x509');
    t.deepEqual(s.suites, ['TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8']);
  });
}

withOpenssl('openssl s_client with a certificate from an unknown CA gets bad_certificate (42)', async (t) => {
  const p = pki!;
  const s = await startCoapResponder(certOptions(p));
  t.teardown(() => s.server.close());
  const r = await runPeer('openssl', sClient(p, s.port, ['-cert', p.file('rogue.pem'), '-key', p.file('rogue.key')]), { input: 'x\n', timeoutMs: 5000 });
  t.regex(r.output, /alert bad certificate/);
  t.is(s.server.stats().sessions, 0);
  t.is(s.server.stats().handshakesFailed, 1);
});

withOpenssl('openssl s_client without a client certificate gets handshake_failure (40)', async (t) => {
  const p = pki!;
  const s = await startCoapResponder(certOptions(p));
  t.teardown(() => s.server.close());
  const r = await runPeer('openssl', sClient(p, s.port, []), { input: 'x\n', timeoutMs: 5000 });
  t.regex(r.output, /alert handshake failure/);
  t.is(s.server.stats().sessions, 0);
});

withOpenssl('openssl s_client resumes an X.509 session and keeps the certificate identity', async (t) => {
  const p = pki!;
  const s = await startCoapResponder(certOptions(p));
  s.server.onDatagram((d) => s.server.send(Buffer.from(`echo:${d.data.toString()}`), d.peer));
  const dir = mkdtempSync(path.join(tmpdir(), 'dtls-sess-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
    return s.server.close();
  });
  const sess = path.join(dir, 's.pem');
  const extra = ['-cert', p.file('client.pem'), '-key', p.file('client.key')];
  await runPeer('openssl', sClient(p, s.port, [...extra, '-sess_out', sess]), { input: 'one\n', writeWhen: /Extended master secret/, endWhen: /echo:one/ });
  const r = await runPeer('openssl', sClient(p, s.port, [...extra, '-sess_in', sess]), { input: 'two\n', writeWhen: /Extended master secret/, endWhen: /echo:two/ });
  t.regex(r.output, /^Reused, /m);
  t.is(s.server.stats().resumptions, 1);
  const last = s.received[s.received.length - 1]?.identity;
  t.is(last?.kind === 'x509' ? last.commonName : '', 'urn:dev:device-x509');
});

for (const client of ['coap-client-openssl', 'coap-client-gnutls']) {
  const maybe = haveOpenssl && hasBinary(client) ? test.serial : test.skip;
  maybe(`${client} with X.509 (PKI): GET answered, CN is the identity`, async (t) => {
    const p = pki!;
    const s = await startCoapResponder(certOptions(p));
    t.teardown(() => s.server.close());
    const r = await runPeer(client, ['-m', 'get', '-B', '5', '-c', p.file('client.pem'), '-j', p.file('client.key'), '-C', p.file('ca.pem'), `coaps://127.0.0.1:${s.port}/hello`], { timeoutMs: 8000 });
    t.regex(r.output, /hello cn=urn:dev:device-x509/);
  });
}

const withGnutls = haveOpenssl && hasBinary('coap-client-gnutls') ? test.serial : test.skip;

withGnutls('coap-client-gnutls with a raw public key (RFC 7250): GET answered, the key is the identity', async (t) => {
  const p = pki!;
  const s = await startCoapResponder(certOptions(p));
  t.teardown(() => s.server.close());
  const r = await runPeer('coap-client-gnutls', ['-m', 'get', '-B', '5', '-M', p.file('rpk-client.both.pem'), `coaps://127.0.0.1:${s.port}/hello`], { timeoutMs: 8000 });
  t.regex(r.output, /hello rpk\(91 bytes\)/);
  const id = s.received[0]?.identity;
  const expected = createPublicKey(p.pem('rpk-client.pub')).export({ type: 'spki', format: 'der' });
  t.true(id?.kind === 'rpk' && Buffer.from(id.publicKey).equals(expected));
});

withGnutls('coap-client-gnutls with an untrusted raw public key gets no session', async (t) => {
  const p = pki!;
  const s = await startCoapResponder({ ...certOptions(p), certificate: { ...certOptions(p).certificate!, trustRawPublicKey: () => false } });
  t.teardown(() => s.server.close());
  const r = await runPeer('coap-client-gnutls', ['-m', 'get', '-B', '3', '-M', p.file('rpk-client.both.pem'), `coaps://127.0.0.1:${s.port}/hello`], { timeoutMs: 8000 });
  t.notRegex(r.output, /hello rpk/);
  t.is(s.server.stats().sessions, 0);
  t.is(s.server.stats().handshakesFailed, 1);
});
