import test, { type ExecutionContext } from 'ava';
import { ContentType } from '../../src/dtls/constants.js';
import { PskTestClient } from './helpers/psk-test-client.js';
import { delay, PSKS, startServer } from './helpers/echo-server.js';

const id = { identity: 'device-1', psk: PSKS['device-1']! };

/** A DTLS server (echoing, or only recording with `echo` false) and a client that offered `cid`; both closed after the test. */
async function serverAndClient(t: ExecutionContext, cid: Buffer, echo = true) {
  const s = await startServer({}, echo);
  t.teardown(() => s.server.close());
  const c = await PskTestClient.connect({ server: { address: '127.0.0.1', port: s.port }, ...id, cid });
  t.teardown(() => c.close());
  return { s, c };
}

test('RFC 9146: the server hands out a connection ID and both sides use tls12_cid records', async (t) => {
  const { s, c } = await serverAndClient(t, Buffer.from('c1c2c3c4', 'hex'));
  t.is(c.serverCid?.length, 6);
  c.send(Buffer.from('with cid'));
  t.is((await c.receiveData()).toString(), 'echo:with cid');
  t.true(c.sent[c.sent.length - 1]![0] === ContentType.tls12Cid, 'client record is tls12_cid');
  t.true(s.server.sessions()[0]!.connectionId);
});

test('RFC 9146: an empty client CID means we receive CIDs but send plain records', async (t) => {
  const { c } = await serverAndClient(t, Buffer.alloc(0));
  c.send(Buffer.from('x'));
  t.is((await c.receiveData()).toString(), 'echo:x');
});

test('RFC 9146: a peer that moves to a new port keeps its session, and replies follow it', async (t) => {
  const { s, c } = await serverAndClient(t, Buffer.from('0a0b', 'hex'));
  c.send(Buffer.from('before'));
  const before = await s.nextDatagram();
  await c.receiveData();
  const oldPort = c.localPort;
  await c.rebind();
  t.not(c.localPort, oldPort);
  c.send(Buffer.from('after'));
  const after = await s.nextDatagram();
  t.is(after.data.toString(), 'after');
  t.is(after.peer.port, c.localPort);
  t.is(after.sessionKey, before.sessionKey, 'the session key survives the address change');
  t.deepEqual(after.identity, before.identity);
  t.is((await c.receiveData()).toString(), 'echo:after', 'the echo reached the new port');
  t.is(s.server.stats().sessions, 1);
  t.is(s.server.stats().handshakesOk, 1);
});

test('RFC 9146 §6: a replayed (older) record from a new address does not move the session', async (t) => {
  const { s, c } = await serverAndClient(t, Buffer.from('0a0b', 'hex'), false);
  c.send(Buffer.from('one'));
  await s.nextDatagram();
  const recordOne = c.sent[c.sent.length - 1]!;
  const older = c.seal(ContentType.applicationData, Buffer.from('held back'));
  c.send(Buffer.from('two'));
  await s.nextDatagram();
  const homePort = c.localPort;
  // An attacker (here: our own new socket) sends a replay, and an authentic but older record.
  await c.rebind();
  c.sendRaw(recordOne);
  c.sendRaw(older);
  const d = await s.nextDatagram();
  t.is(d.data.toString(), 'held back', 'the older record is authentic and new to the window, so it is delivered');
  t.is(d.peer.port, homePort, '...but it is not the newest, so the address does not move');
  t.is(s.server.sessions()[0]!.peer.port, homePort);
  await delay(50);
  t.is(s.received.length, 3, 'the replay was dropped');
});

test('RFC 9146: a forged record with our CID from a new address does not move the session', async (t) => {
  const { s, c } = await serverAndClient(t, Buffer.from('0a0b', 'hex'), false);
  c.send(Buffer.from('one'));
  await s.nextDatagram();
  const home = c.localPort;
  await c.rebind();
  const forged = c.seal(ContentType.applicationData, Buffer.from('forged'));
  forged[forged.length - 1]! ^= 0xff;
  c.sendRaw(forged);
  await delay(100);
  t.is(s.server.sessions()[0]!.peer.port, home);
  t.is(s.received.length, 1);
});

test('a reply to the peer delivered with a datagram (or a copy of it) reaches the session; once the session moved (RFC 9146), the old peer reaches nobody', async (t) => {
  const { s, c } = await serverAndClient(t, Buffer.from('0a0b', 'hex'), false);
  c.send(Buffer.from('before'));
  const before = await s.nextDatagram();
  t.deepEqual({ ...before.peer }, { address: '127.0.0.1', port: c.localPort });
  t.true(Object.isFrozen(before.peer), 'the session peer is shared with the application, so it cannot be changed');
  s.server.send(Buffer.from('r1'), before.peer);
  t.is((await c.receiveData()).toString(), 'r1');
  s.server.send(Buffer.from('r2'), { address: before.peer.address, port: before.peer.port });
  t.is((await c.receiveData()).toString(), 'r2');
  await c.rebind();
  c.send(Buffer.from('after'));
  const after = await s.nextDatagram();
  t.not(after.peer, before.peer);
  const sentBefore = s.server.stats().applicationBytesOut;
  s.server.send(Buffer.from('lost'), before.peer);
  t.is(s.server.stats().applicationBytesOut, sentBefore, 'nothing is sent to the address the session left');
  s.server.send(Buffer.from('r3'), after.peer);
  t.is((await c.receiveData()).toString(), 'r3');
});
