/**
 * The security store behind the real DTLS listener and the real registration interface:
 * node-dtls-client (an independent DTLS 1.2 implementation) registers over PSK on 127.0.0.1.
 */
import test from 'ava';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import { dtls } from 'node-dtls-client';
import { ManualClock } from '../../src/clock.js';
import { CoapEndpoint } from '../../src/coap/endpoint.js';
import { DtlsServerTransport } from '../../src/dtls/index.js';
import { EventBus } from '../../src/events.js';
import { registrationRoutes } from '../../src/lwm2m/registration/coap-adapter.js';
import { RegistrationService } from '../../src/lwm2m/registration/registration-service.js';
import { routeRequests } from '../../src/lwm2m/router.js';
import { securityRegistrationGuard } from '../../src/security/registration-guard.js';
import { MemorySecurityStore } from '../../src/security/security-memory.js';
import { authenticatedBy } from '../../src/security/session-match.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';
import { psk } from '../_suites/security-store.js';

// node-dtls-client takes PSKs as text; these are their bytes.
const DEV_KEY = 'dtls-secret-key!';

async function setup() {
  const security = new MemorySecurityStore();
  await security.add(psk('dev-psk', 'dev-psk-id', Buffer.from(DEV_KEY).toString('hex')));
  await security.add(psk('other', 'other-id', Buffer.from('other-secret').toString('hex')));
  const registrations = new RegistrationService({ store: new MemoryRegistrationStore(), events: new EventBus(), clock: new ManualClock(Date.UTC(2026, 0, 1)) });
  registrations.addGuard(securityRegistrationGuard(security));
  const transport = await DtlsServerTransport.bind({ host: '127.0.0.1', port: 0, psk: (identity) => security.pskKeyFor(identity) });
  const coap = new CoapEndpoint({ transport });
  coap.onRequest(routeRequests([registrationRoutes(registrations)]));
  return { security, registrations, transport, coap, port: transport.address().port };
}

type Client = ReturnType<typeof dtls.createSocket>;

function connect(port: number, identity: string, key: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = dtls.createSocket({ type: 'udp4', address: '127.0.0.1', port, psk: { [identity]: key }, timeout: 3000, ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'] });
    const timer = setTimeout(() => reject(new Error('handshake did not finish in 5 s')), 5000);
    socket.on('connected', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.on('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

let mid = 1;
function register(socket: Client, endpoint: string): Promise<ParsedPacket> {
  const messageId = mid++;
  const request = generate({
    confirmable: true,
    messageId,
    token: Buffer.from([messageId]),
    code: '0.02',
    options: [
      { name: 'Uri-Path', value: Buffer.from('rd') },
      { name: 'Content-Format', value: Buffer.from([40]) },
      { name: 'Uri-Query', value: Buffer.from(`ep=${endpoint}`) },
      { name: 'Uri-Query', value: Buffer.from('lt=60') },
    ],
    payload: Buffer.from('</3/0>'),
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no CoAP response in 5 s')), 5000);
    const onMessage = (m: Buffer) => {
      const res = parse(m);
      if (res.messageId !== messageId) return;
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(res);
    };
    socket.on('message', onMessage);
    socket.send(request);
  });
}

const close = (s: Client) => new Promise<void>((resolve) => s.close(() => resolve()));

test('a PSK device registers its own endpoint over DTLS and is refused (4.03) for another', async (t) => {
  const s = await setup();
  t.teardown(async () => {
    await s.coap.close();
  });
  const client = await connect(s.port, 'dev-psk-id', DEV_KEY);
  const ok = await register(client, 'dev-psk');
  t.is(ok.code, '2.01');
  const reg = await s.registrations.store.getByEndpoint('dev-psk');
  t.is(reg?.transport, 'coaps');
  t.deepEqual(reg?.identity, { kind: 'psk', identity: 'dev-psk-id' });
  const refused = await register(client, 'other');
  t.is(refused.code, '4.03');
  t.is(await s.registrations.store.getByEndpoint('other'), undefined);
  await close(client);
});

test('an unknown PSK identity gets no session: the handshake fails with unknown_psk_identity', async (t) => {
  const s = await setup();
  t.teardown(async () => {
    await s.coap.close();
  });
  // RFC 4279 §2: the fatal alert node-dtls-client reports.
  await t.throwsAsync(connect(s.port, 'nobody', 'whatever-key'), { message: /unknown_psk_identity/ });
  t.is(s.transport.stats().sessions, 0);
});

test('removing credentials ends the sessions they authenticated', async (t) => {
  const s = await setup();
  t.teardown(async () => {
    await s.coap.close();
  });
  const client = await connect(s.port, 'dev-psk-id', DEV_KEY);
  t.is((await register(client, 'dev-psk')).code, '2.01');
  const other = await connect(s.port, 'other-id', 'other-secret');
  t.is(s.transport.sessions().length, 2);
  const removed = await s.security.remove('dev-psk');
  t.is(s.transport.closeSessions((session) => authenticatedBy(removed!, session.identity)), 1);
  t.deepEqual(s.transport.sessions().map((x) => x.identity), [{ kind: 'psk', identity: 'other-id' }]);
  // A new handshake with the removed identity fails.
  await t.throwsAsync(connect(s.port, 'dev-psk-id', DEV_KEY), { message: /unknown_psk_identity/ });
  await close(client).catch(() => undefined);
  await close(other);
});
