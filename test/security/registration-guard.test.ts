import test from 'ava';
import { ManualClock } from '../../src/clock.js';
import { EventBus } from '../../src/events.js';
import { RegistrationService, type RegisterRequest } from '../../src/lwm2m/registration/registration-service.js';
import { securityRegistrationGuard } from '../../src/security/registration-guard.js';
import { MemorySecurityStore } from '../../src/security/security-memory.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';
import type { PeerIdentity } from '../../src/transport/types.js';
import { p256PublicKey, psk } from '../_suites/security-store.js';

async function setup(options: { allowUnprovisionedX509?: boolean } = {}) {
  const security = new MemorySecurityStore();
  let n = 0;
  const service = new RegistrationService({ store: new MemoryRegistrationStore(), events: new EventBus(), clock: new ManualClock(1_000_000), newId: () => `id${++n}` });
  service.addGuard(securityRegistrationGuard(security, options));
  const key = p256PublicKey();
  await security.add(psk('psk-dev', 'psk-id'));
  await security.add({ endpoint: 'rpk-dev', mode: 'rpk', publicKey: key.spki });
  await security.add({ endpoint: 'x509-dev', mode: 'x509' });
  return { security, service, key };
}

function req(endpoint: string, identity?: PeerIdentity): RegisterRequest {
  const r: RegisterRequest = {
    params: { endpoint, lifetime: 60, lwm2mVersion: '1.1', binding: 'U', queueMode: false },
    links: { rootPath: '/', supportedFormats: [], objectLinks: [] },
    address: { address: '127.0.0.1', port: 50000 },
    transport: identity ? 'coaps' : 'coap',
  };
  if (identity) r.identity = identity;
  return r;
}

const x509 = (commonName: string): PeerIdentity => ({ kind: 'x509', commonName, certificate: new Uint8Array([0x30, 0]) });

async function forbidden(t: import('ava').ExecutionContext, p: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await t.throwsAsync(p, { message });
  t.is((err as { code?: string }).code, 'LWM2M_ERR_FORBIDDEN');
  t.is((err as { coapCode?: string }).coapCode, '4.03');
}

test('a PSK identity registers the endpoint it is bound to, and no other', async (t) => {
  const { service, security } = await setup();
  t.is((await service.register(req('psk-dev', { kind: 'psk', identity: 'psk-id' }))).endpoint, 'psk-dev');
  await security.add(psk('other', 'other-id'));
  await forbidden(t, service.register(req('other', { kind: 'psk', identity: 'psk-id' })), /not bound to endpoint "other"/);
  await forbidden(t, service.register(req('unprovisioned', { kind: 'psk', identity: 'psk-id' })), /not bound/);
  t.is(await service.store.getByEndpoint('other'), undefined);
});

test('a raw public key registers its endpoint only; an unknown key nothing', async (t) => {
  const { service, key } = await setup();
  t.is((await service.register(req('rpk-dev', { kind: 'rpk', publicKey: key.spki }))).endpoint, 'rpk-dev');
  await forbidden(t, service.register(req('psk-dev', { kind: 'rpk', publicKey: key.spki })), /rpk:sha256:/);
  await forbidden(t, service.register(req('rpk-dev', { kind: 'rpk', publicKey: p256PublicKey().spki })), /not bound/);
});

test('a certificate registers the endpoint named by its CN, if that endpoint is provisioned for X.509', async (t) => {
  const { service } = await setup();
  t.is((await service.register(req('x509-dev', x509('x509-dev')))).endpoint, 'x509-dev');
  await forbidden(t, service.register(req('psk-dev', x509('x509-dev'))), /not bound to endpoint "psk-dev"/);
  // CN of a PSK endpoint: that endpoint may not switch to a certificate on its own.
  await forbidden(t, service.register(req('psk-dev', x509('psk-dev'))), /not bound/);
  await forbidden(t, service.register(req('new-dev', x509('new-dev'))), /not bound/);
  await forbidden(t, service.register(req('', x509(''))), /not bound/);
});

test('allowUnprovisionedX509 admits a CN without stored credentials, still not one bound to PSK', async (t) => {
  const { service } = await setup({ allowUnprovisionedX509: true });
  t.is((await service.register(req('new-dev', x509('new-dev')))).endpoint, 'new-dev');
  await forbidden(t, service.register(req('psk-dev', x509('psk-dev'))), /not bound/);
});

test('an endpoint with credentials cannot register over plain CoAP; one without can', async (t) => {
  const { service } = await setup();
  for (const ep of ['psk-dev', 'rpk-dev', 'x509-dev']) await forbidden(t, service.register(req(ep)), /must register over DTLS/);
  t.is((await service.register(req('plain-dev'))).endpoint, 'plain-dev');
});

test('a secured registration without an identity is refused', async (t) => {
  const { service } = await setup();
  await forbidden(t, service.register({ ...req('plain-dev'), transport: 'coaps' }), /without an authenticated identity/);
});

test('removing credentials ends the binding: the next Update over the old session is refused', async (t) => {
  const { service, security } = await setup();
  const identity: PeerIdentity = { kind: 'psk', identity: 'psk-id' };
  const reg = await service.register(req('psk-dev', identity));
  await service.update(reg.id, { params: {}, address: reg.address, identity });
  await security.remove('psk-dev');
  await forbidden(t, service.update(reg.id, { params: {}, address: reg.address, identity }), /not bound/);
});

test('adding credentials to a plain-CoAP device refuses its next plain Update', async (t) => {
  const { service, security } = await setup();
  const reg = await service.register(req('plain-dev'));
  await security.add(psk('plain-dev', 'new-id'));
  await forbidden(t, service.update(reg.id, { params: {}, address: reg.address }), /must register over DTLS/);
});
