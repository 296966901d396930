import test from 'ava';
import { ContentType } from '../../src/dtls/constants.js';
import { PskTestClient } from './helpers/psk-test-client.js';
import { delay, PSKS, startServer } from './helpers/echo-server.js';

const CCM8 = 0xc0a8;
const CBC = 0x00ae;
const ECDHE_CBC = 0xc037;

for (const [name, suite] of [
  ['PSK CCM_8', CCM8],
  ['PSK CBC_SHA256', CBC],
  ['ECDHE_PSK CBC_SHA256', ECDHE_CBC],
] as const) {
  test(`${name}: full handshake, then application data both ways with the identity attached`, async (t) => {
    const s = await startServer();
    const c = await PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-1', psk: PSKS['device-1']!, suites: [suite] });
    try {
      t.is(c.session?.suite.id, suite);
      const got = s.nextDatagram();
      c.send(Buffer.from('ping'));
      const d = await got;
      t.is(d.data.toString(), 'ping');
      t.deepEqual(d.identity, { kind: 'psk', identity: 'device-1' });
      t.is(d.peer.port, c.localPort);
      t.regex(d.sessionKey ?? '', /^dtls-[0-9a-f]{16}$/);
      t.is((await c.receiveData()).toString(), 'echo:ping');
      const st = s.server.stats();
      t.is(st.handshakesOk, 1);
      t.is(st.sessions, 1);
      t.is(st.handshakesInProgress, 0);
    } finally {
      c.close();
      await s.server.close();
    }
  });
}

test('the server prefers CCM_8 when the client offers several suites', async (t) => {
  const s = await startServer();
  const c = await PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-2', psk: PSKS['device-2']!, suites: [CBC, ECDHE_CBC, CCM8] });
  t.is(c.session?.suite.id, CCM8);
  c.close();
  await s.server.close();
});

test('handshake messages fragmented into separate datagrams and sent in reverse order are reassembled', async (t) => {
  const s = await startServer();
  const c = await PskTestClient.connect({
    server: { address: '127.0.0.1', port: s.port },
    identity: 'device-1',
    psk: PSKS['device-1']!,
    suites: [ECDHE_CBC],
    fragmentSize: 9,
    reverseFragments: true,
  });
  c.send(Buffer.from('after fragments'));
  t.is((await c.receiveData()).toString(), 'echo:after fragments');
  c.close();
  await s.server.close();
});

test('an unknown PSK identity ends the handshake with alert unknown_psk_identity (115)', async (t) => {
  const s = await startServer();
  const err = await t.throwsAsync(PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, identity: 'stranger', psk: Buffer.from('x') }));
  t.is(err?.message, 'server alert 2/115');
  t.is(s.server.stats().handshakesFailed, 1);
  t.is(s.server.stats().sessions, 0);
  await s.server.close();
});

test('a wrong key ends the handshake with bad_record_mac (20) and no session', async (t) => {
  const s = await startServer();
  const err = await t.throwsAsync(PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-1', psk: Buffer.from('wrong key') }));
  t.is(err?.message, 'server alert 2/20');
  t.deepEqual([s.server.stats().handshakesFailed, s.server.stats().sessions], [1, 0]);
  await s.server.close();
});

test('a session is resumed by session ID with an abbreviated handshake', async (t) => {
  const s = await startServer();
  const server = { address: '127.0.0.1', port: s.port };
  const first = await PskTestClient.connect({ server, identity: 'device-1', psk: PSKS['device-1']! });
  first.close();
  const second = await PskTestClient.connect({ server, identity: 'device-1', psk: Buffer.from('not used when resuming'), resume: first.session! });
  t.true(second.resumed);
  const got = s.nextDatagram();
  second.send(Buffer.from('resumed'));
  t.deepEqual((await got).identity, { kind: 'psk', identity: 'device-1' });
  t.is((await second.receiveData()).toString(), 'echo:resumed');
  t.is(s.server.stats().resumptions, 1);
  second.close();
  await s.server.close();
});

test('an unknown session ID falls back to a full handshake', async (t) => {
  const s = await startServer();
  const server = { address: '127.0.0.1', port: s.port };
  const first = await PskTestClient.connect({ server, identity: 'device-1', psk: PSKS['device-1']! });
  first.close();
  const fake = { ...first.session!, sessionId: Buffer.alloc(32, 7) };
  const c = await PskTestClient.connect({ server, identity: 'device-1', psk: PSKS['device-1']!, resume: fake });
  t.false(c.resumed);
  t.is(s.server.stats().resumptions, 0);
  c.close();
  await s.server.close();
});

test('a replayed record is dropped and delivered only once', async (t) => {
  const s = await startServer({}, false);
  const c = await PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-1', psk: PSKS['device-1']! });
  c.send(Buffer.from('once'));
  await s.nextDatagram();
  const dropped = s.server.stats().recordsDropped;
  c.sendRaw(c.sent[c.sent.length - 1]!);
  c.send(Buffer.from('twice?'));
  t.is((await s.nextDatagram()).data.toString(), 'twice?');
  t.deepEqual(
    s.received.map((d) => d.data.toString()),
    ['once', 'twice?'],
  );
  t.is(s.server.stats().recordsDropped, dropped + 1);
  c.close();
  await s.server.close();
});

test('a tampered record is dropped and the session carries on', async (t) => {
  const s = await startServer();
  const c = await PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-1', psk: PSKS['device-1']! });
  const rec = c.seal(ContentType.applicationData, Buffer.from('tampered'));
  rec[rec.length - 3]! ^= 1;
  c.sendRaw(rec);
  c.send(Buffer.from('genuine'));
  t.is((await s.nextDatagram()).data.toString(), 'genuine');
  t.is((await c.receiveData()).toString(), 'echo:genuine');
  t.is(s.received.length, 1);
  t.is(s.server.stats().sessions, 1);
  c.close();
  await s.server.close();
});

test('a ClientHello inside an established session is refused with a no_renegotiation warning', async (t) => {
  const s = await startServer();
  const c = await PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-1', psk: PSKS['device-1']! });
  const { encodeHandshake } = await import('../../src/dtls/handshake-message.js');
  c.sendRaw(c.seal(ContentType.handshake, encodeHandshake(1, 4, c.clientHelloBody(Buffer.alloc(0), Buffer.alloc(32)))));
  const alert = await c.next((r) => r.type === ContentType.alert);
  t.deepEqual([...alert.content], [1, 100]);
  c.send(Buffer.from('still up'));
  t.is((await c.receiveData()).toString(), 'echo:still up');
  c.close();
  await s.server.close();
});

test('close_notify from the client is answered with close_notify and ends the session', async (t) => {
  const s = await startServer();
  const c = await PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-1', psk: PSKS['device-1']! });
  t.is(s.server.stats().sessions, 1);
  c.sendAlert(1, 0);
  const alert = await c.next((r) => r.type === ContentType.alert);
  t.deepEqual([...alert.content], [1, 0]);
  t.is(s.server.stats().sessions, 0);
  c.close();
  await s.server.close();
});

test('closeSessions drops the sessions of one identity and notifies those peers', async (t) => {
  const s = await startServer();
  const server = { address: '127.0.0.1', port: s.port };
  const a = await PskTestClient.connect({ server, identity: 'device-1', psk: PSKS['device-1']! });
  const b = await PskTestClient.connect({ server, identity: 'device-2', psk: PSKS['device-2']! });
  const n = s.server.closeSessions((x) => x.identity.kind === 'psk' && x.identity.identity === 'device-1');
  t.is(n, 1);
  const alert = await a.next((r) => r.type === ContentType.alert);
  t.deepEqual([...alert.content], [1, 0]);
  t.deepEqual(
    s.server.sessions().map((x) => x.identity),
    [{ kind: 'psk', identity: 'device-2' }],
  );
  // The closed identity cannot come back by resumption either.
  const again = await PskTestClient.connect({ server, identity: 'device-1', psk: PSKS['device-1']!, resume: a.session! });
  t.false(again.resumed);
  for (const c of [a, b, again]) c.close();
  await s.server.close();
});

test('a peer that repeats its Finished gets our CCS + Finished again', async (t) => {
  const s = await startServer();
  const c = await PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-1', psk: PSKS['device-1']! });
  // sent = [CH, CH+cookie, CKE, CCS, Finished]: resend the client's last flight.
  for (const d of c.sent.slice(2, 5)) c.sendRaw(d);
  await delay(100);
  // Replayed records are dropped, so resend the Finished under a fresh sequence number.
  const { encodeHandshake } = await import('../../src/dtls/handshake-message.js');
  c.sendRaw(c.seal(ContentType.handshake, encodeHandshake(20, 3, Buffer.alloc(12))));
  const fin = await c.next((r) => r.type === ContentType.handshake && r.epoch === 1);
  t.is(fin.content[0], 20);
  c.close();
  await s.server.close();
});

test('a late copy of the ClientHello that created a session leaves the session alone', async (t) => {
  const s = await startServer();
  t.teardown(() => s.server.close());
  const c = await PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-1', psk: PSKS['device-1']! });
  t.teardown(() => c.close());
  c.sendRaw(c.sent[1]!); // the ClientHello with the cookie
  await delay(100);
  t.is(s.server.stats().handshakesInProgress, 0);
  c.send(Buffer.from('same session'));
  t.is((await c.receiveData()).toString(), 'echo:same session');
  t.is(s.server.stats().handshakesOk, 1);
});

test('closing the transport sends close_notify to every peer', async (t) => {
  const s = await startServer();
  const c = await PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-1', psk: PSKS['device-1']! });
  t.teardown(() => c.close());
  await s.server.close();
  const alert = await c.next((r) => r.type === ContentType.alert);
  t.deepEqual([...alert.content], [1, 0]);
});
