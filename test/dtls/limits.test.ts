import test from 'ava';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../src/clock.js';
import { isLwm2mError } from '../../src/errors.js';
import { ContentType, HandshakeType } from '../../src/dtls/constants.js';
import { CookieIssuer } from '../../src/dtls/cookie.js';
import { DtlsServerTransport } from '../../src/dtls/index.js';
import { parseHandshakeFragments } from '../../src/dtls/handshake-message.js';
import { PskTestClient } from './helpers/psk-test-client.js';
import { clientHelloRecord, getCookie, startHandshake } from './helpers/raw-hello.js';
import { delay, PSKS, startServer } from './helpers/echo-server.js';

const id = { identity: 'device-1', psk: PSKS['device-1']! };

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await delay(10);
  }
}

test('a flood of ClientHellos without cookies gets only small HelloVerifyRequests and leaves no state', async (t) => {
  const s = await startServer();
  const c = await PskTestClient.raw({ server: { address: '127.0.0.1', port: s.port }, ...id });
  t.teardown(() => {
    c.close();
    return s.server.close();
  });
  const N = 300;
  let sentBytes = 0;
  // Batches, so that the loopback socket buffer does not drop the flood before it is counted.
  for (let i = 0; i < N; i += 25) {
    for (let j = i; j < i + 25; j++) {
      const rec = clientHelloRecord(c, randomBytes(32), Buffer.alloc(0), 0, j);
      sentBytes += rec.length;
      c.sendRaw(rec);
    }
    await until(() => s.server.stats().helloVerifyRequests === i + 25, 5000);
  }
  const st = s.server.stats();
  t.is(st.handshakesInProgress, 0);
  t.is(st.sessions, 0);
  t.true(st.bytesOut < sentBytes, `no amplification: ${st.bytesOut} out for ${sentBytes} in`);
});

test('a cookie is bound to the address it was issued to', async (t) => {
  const s = await startServer();
  const server = { address: '127.0.0.1', port: s.port };
  const a = await PskTestClient.raw({ server, ...id });
  const b = await PskTestClient.raw({ server, ...id });
  const random = randomBytes(32);
  const cookie = await getCookie(a, random);
  b.sendRaw(clientHelloRecord(b, random, cookie, 1, 1));
  const r = await b.next((x) => x.type === ContentType.handshake);
  t.is(parseHandshakeFragments(r.content)[0]!.msgType, HandshakeType.helloVerifyRequest);
  t.is(s.server.stats().handshakesInProgress, 0);
  a.close();
  b.close();
  await s.server.close();
});

test('the cookie secret rotates; the previous secret stays valid for one period', (t) => {
  const clock = new ManualClock(0);
  const jar = new CookieIssuer(clock, 1000);
  const hello = Buffer.from('hello');
  const cookie = jar.issue('1.2.3.4:5', hello);
  t.true(jar.verify('1.2.3.4:5', hello, cookie));
  t.false(jar.verify('1.2.3.4:6', hello, cookie));
  t.false(jar.verify('1.2.3.4:5', Buffer.from('hellp'), cookie));
  clock.advance(1000);
  t.true(jar.verify('1.2.3.4:5', hello, cookie), 'made with the previous secret');
  clock.advance(1000);
  t.false(jar.verify('1.2.3.4:5', hello, cookie), 'two rotations later');
});

test('the server flight is retransmitted on a doubling timer and when the ClientHello repeats', async (t) => {
  const clock = new ManualClock();
  const s = await startServer({ clock });
  const c = await PskTestClient.raw({ server: { address: '127.0.0.1', port: s.port }, ...id });
  t.teardown(() => {
    c.close();
    return s.server.close();
  });
  const { random, cookie, firstFlight } = await startHandshake(c);
  t.deepEqual(firstFlight, [HandshakeType.serverHello, HandshakeType.serverHelloDone]);
  // The flight ends with ServerHelloDone; earlier records of it are skipped by the predicate.
  const isDone = (x: { type: number; content: Buffer }) => x.type === ContentType.handshake && parseHandshakeFragments(x.content).some((f) => f.msgType === HandshakeType.serverHelloDone);
  const flight = () => c.next(isDone, 1000);
  clock.advance(999);
  await t.throwsAsync(flight(), undefined, 'nothing before 1 s');
  clock.advance(1);
  await flight();
  clock.advance(1999);
  await t.throwsAsync(c.next(isDone, 300), undefined, 'next one after 2 s');
  clock.advance(1);
  await flight();
  c.sendRaw(clientHelloRecord(c, random, cookie, 1, 2));
  await flight();
  t.is(s.server.stats().handshakesInProgress, 1);
});

test('a handshake that does not finish in time is abandoned', async (t) => {
  const clock = new ManualClock();
  const s = await startServer({ clock, limits: { handshakeTimeoutMs: 5000 } });
  const c = await PskTestClient.raw({ server: { address: '127.0.0.1', port: s.port }, ...id });
  await startHandshake(c);
  t.is(s.server.stats().handshakesInProgress, 1);
  clock.advance(5000);
  t.is(s.server.stats().handshakesInProgress, 0);
  t.is(s.server.stats().handshakesFailed, 1);
  c.close();
  await s.server.close();
});

test('no more handshakes than maxHandshakes are held at once', async (t) => {
  const s = await startServer({ limits: { maxHandshakes: 2 } });
  const server = { address: '127.0.0.1', port: s.port };
  const clients = await Promise.all([1, 2, 3].map(() => PskTestClient.raw({ server, ...id })));
  await startHandshake(clients[0]!);
  await startHandshake(clients[1]!);
  await t.throwsAsync(startHandshake(clients[2]!));
  t.is(s.server.stats().handshakesInProgress, 2);
  t.is(s.server.stats().handshakesRejected, 1);
  for (const c of clients) c.close();
  await s.server.close();
});

test('no more handshakes than maxHandshakesPerAddress are held for one IP address', async (t) => {
  const s = await startServer({ limits: { maxHandshakesPerAddress: 1 } });
  t.teardown(() => s.server.close());
  const server = { address: '127.0.0.1', port: s.port };
  const clients = await Promise.all([1, 2].map(() => PskTestClient.raw({ server, ...id })));
  t.teardown(() => clients.forEach((c) => c.close()));
  await startHandshake(clients[0]!);
  await t.throwsAsync(startHandshake(clients[1]!));
  t.is(s.server.stats().handshakesInProgress, 1);
});

test('sessions per address are limited', async (t) => {
  const s = await startServer({ limits: { maxSessionsPerAddress: 1 } });
  const server = { address: '127.0.0.1', port: s.port };
  const a = await PskTestClient.connect({ server, ...id });
  await t.throwsAsync(PskTestClient.connect({ server, ...id, timeoutMs: 500 }));
  t.is(s.server.stats().sessions, 1);
  t.is(s.server.stats().handshakesRejected, 1);
  a.close();
  await s.server.close();
});

test('handshakes under way count against the sessions per address: a burst cannot finish above the limit', async (t) => {
  const s = await startServer({ limits: { maxSessionsPerAddress: 2 } });
  const server = { address: '127.0.0.1', port: s.port };
  const clients = await Promise.all([1, 2, 3].map(() => PskTestClient.raw({ server, ...id })));
  t.teardown(async () => {
    for (const c of clients) c.close();
    await s.server.close();
  });
  await startHandshake(clients[0]!);
  await startHandshake(clients[1]!);
  // No session is established yet, but two are on their way: a third ClientHello is dropped.
  t.is(s.server.stats().sessions, 0);
  await t.throwsAsync(startHandshake(clients[2]!));
  t.is(s.server.stats().handshakesInProgress, 2);
  t.is(s.server.stats().handshakesRejected, 1);
});

test('an idle session expires', async (t) => {
  const clock = new ManualClock();
  const s = await startServer({ clock, limits: { sessionIdleMs: 10_000 } });
  const c = await PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, ...id });
  clock.advance(7500);
  c.send(Buffer.from('keepalive'));
  await s.nextDatagram();
  clock.advance(7500);
  t.is(s.server.stats().sessions, 1, 'activity kept it alive');
  clock.advance(10_000);
  t.is(s.server.stats().sessions, 0);
  c.close();
  await s.server.close();
});

test('garbage, truncated and malformed datagrams are dropped without harm', async (t) => {
  const s = await startServer();
  const sock = dgram.createSocket('udp4');
  const junk = [
    randomBytes(100),
    Buffer.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50, 1, 2]), // length beyond datagram
    Buffer.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, 1, 0, 0, 90, 0, 0, 0, 0, 0, 0, 0, 90, 0, 0]), // fragment overruns
    Buffer.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 1, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 4, 0xfe, 0xfd, 0, 0]), // short ClientHello
    Buffer.from([23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]), // app data with no session
    Buffer.from([25, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 1, 9]), // unknown CID
  ];
  for (const j of junk) sock.send(j, s.port, '127.0.0.1');
  await until(() => s.server.stats().recordsDropped >= junk.length);
  const c = await PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, ...id });
  c.send(Buffer.from('fine'));
  t.is((await c.receiveData()).toString(), 'echo:fine');
  sock.close();
  c.close();
  await s.server.close();
});

test('binding without a PSK lookup is a typed configuration error', async (t) => {
  const err = await t.throwsAsync(DtlsServerTransport.bind({ host: '127.0.0.1', port: 0 } as unknown as Parameters<typeof DtlsServerTransport.bind>[0]));
  t.true(isLwm2mError(err));
  t.is((err as { code?: string }).code, 'LWM2M_ERR_BAD_CONFIG');
});
