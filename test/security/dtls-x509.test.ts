/**
 * The server key material (generated at first start) and the trusted CAs (--ca) in a real
 * ECDHE_ECDSA handshake with OpenSSL's s_client, whose certificate CN then passes the
 * registration guard for that endpoint only.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { DtlsServerTransport } from '../../src/dtls/index.js';
import { EventBus } from '../../src/events.js';
import { RegistrationService } from '../../src/lwm2m/registration/registration-service.js';
import { securityRegistrationGuard } from '../../src/security/registration-guard.js';
import { loadServerKeys, SERVER_CERT_FILE } from '../../src/security/server-keys.js';
import { MemorySecurityStore } from '../../src/security/security-memory.js';
import { loadTrustedCas } from '../../src/security/trusted-cas.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';
import type { InboundDatagram } from '../../src/transport/types.js';
import { hasBinary, runPeer } from '../dtls/helpers/run-process.js';
import { makeTestPki } from '../dtls/helpers/test-pki.js';

const withOpenssl = hasBinary('openssl') ? test : test.skip;

withOpenssl('a device certificate from a trusted CA registers its CN, against our generated self-signed certificate', async (t) => {
  const pki = makeTestPki();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lwm2m-sec-x509-'));
  t.teardown(async () => {
    pki.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });
  const keys = await loadServerKeys({ dataDir });
  const cas = await loadTrustedCas([pki.file('ca.pem')]);
  const security = new MemorySecurityStore();
  await security.add({ endpoint: 'urn:dev:device-x509', mode: 'x509' });
  const server = await DtlsServerTransport.bind({
    host: '127.0.0.1',
    port: 0,
    psk: (id) => security.pskKeyFor(id),
    certificate: { privateKey: keys.privateKey, chain: keys.chain, trustedCas: cas.map((c) => c.raw), trustRawPublicKey: (spki) => security.endpointForPublicKey(spki) !== undefined },
  });
  t.teardown(() => server.close());
  const received: InboundDatagram[] = [];
  server.onDatagram((d) => {
    received.push(d);
    server.send(Buffer.from(`echo:${d.data.toString()}`), d.peer);
  });
  const args = ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${server.address().port}`, '-cipher', 'ECDHE-ECDSA-AES128-CCM8'];
  // s_client checks our self-signed certificate against itself as the trust anchor.
  args.push('-CAfile', path.join(dataDir, SERVER_CERT_FILE), '-verify_return_error', '-cert', pki.file('client.pem'), '-key', pki.file('client.key'));
  const r = await runPeer('openssl', args, { input: 'hello\n', writeWhen: /Extended master secret/, endWhen: /echo:hello/, timeoutMs: 10_000 });
  t.regex(r.output, /Verify return code: 0 \(ok\)/);
  t.regex(r.output, /echo:hello/);
  const identity = received[0]?.identity;
  t.is(identity?.kind, 'x509');

  const registrations = new RegistrationService({ store: new MemoryRegistrationStore(), events: new EventBus(), clock: new ManualClock(0) });
  registrations.addGuard(securityRegistrationGuard(security));
  const request = (endpoint: string) => ({
    params: { endpoint, lifetime: 60, lwm2mVersion: '1.1', binding: 'U', queueMode: false },
    links: { rootPath: '/', supportedFormats: [], objectLinks: [] },
    address: received[0]!.peer,
    transport: 'coaps' as const,
    identity: identity!,
  });
  t.is((await registrations.register(request('urn:dev:device-x509'))).endpoint, 'urn:dev:device-x509');
  await t.throwsAsync(registrations.register(request('urn:dev:someone-else')), { message: /not bound/ });
});

withOpenssl('a certificate from a CA that is not trusted fails the handshake', async (t) => {
  const pki = makeTestPki();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lwm2m-sec-x509-'));
  t.teardown(async () => {
    pki.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });
  const keys = await loadServerKeys({ dataDir });
  const server = await DtlsServerTransport.bind({
    host: '127.0.0.1',
    port: 0,
    psk: () => undefined,
    certificate: { privateKey: keys.privateKey, chain: keys.chain, trustedCas: (await loadTrustedCas([pki.file('ca.pem')])).map((c) => c.raw) },
  });
  t.teardown(() => server.close());
  const args = ['s_client', '-dtls1_2', '-connect', `127.0.0.1:${server.address().port}`, '-cipher', 'ECDHE-ECDSA-AES128-CCM8', '-cert', pki.file('rogue.pem'), '-key', pki.file('rogue.key')];
  const r = await runPeer('openssl', args, { input: 'x\n', timeoutMs: 5000 });
  t.regex(r.output, /alert bad certificate/);
  t.is(server.stats().sessions, 0);
});
