import test from 'ava';
import { Lwm2mError } from '../../src/errors.js';
import { advance, harness, state } from './helpers/harness.js';
import { opt, uintOf } from './helpers/fake-network.js';

const GET_3_0 = { method: 'GET' as const, path: ['3', '0'] };

test('a CON is retransmitted with doubling timeouts from a random start, then given up (RFC 7252 §4.2)', async (t) => {
  // random 0.5 → initial timeout 2000 + 0.5 * 1000 = 2500 ms
  const { net, clock, server, device } = harness({}, () => 0.5);
  const start = clock.now();
  const sentAt: number[] = [];
  device.onPacket = () => sentAt.push(clock.now() - start);
  const p = server.request(device.address, GET_3_0);
  const outcome = p.catch((e: unknown) => e);
  await net.flush();
  await advance(net, clock, 80_000, 500);
  t.deepEqual(sentAt, [0, 2500, 7500, 17500, 37500]);
  const err = await outcome;
  t.true(err instanceof Lwm2mError);
  t.is((err as Lwm2mError).code, 'LWM2M_ERR_TIMEOUT');
  const mids = device.inbox.map((m) => m.messageId);
  t.is(new Set(mids).size, 1, 'retransmissions reuse the MID');
  t.is(server.stats().retransmissions, 4);
  t.is(server.stats().timeouts, 1);
  t.is(server.stats().pendingCon, 0);
  t.is(server.stats().outstandingExchanges, 0);
});

test('an ACK stops retransmission', async (t) => {
  const { net, clock, server, device } = harness();
  device.onPacket = (m) => {
    if (device.inbox.length === 2) device.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: '2.05', payload: Buffer.from('ok') });
  };
  const p = server.request(device.address, GET_3_0);
  await net.flush();
  await advance(net, clock, 4000);
  const res = await p;
  t.is(res.payload.toString(), 'ok');
  await advance(net, clock, 60_000, 1000);
  t.is(device.inbox.length, 2, 'one retransmission, then silence');
});

test('a duplicate CON request gets the stored reply and the handler runs once (§4.5)', async (t) => {
  const { net, server, device, serverAddr } = harness();
  let calls = 0;
  server.onRequest(() => ({ code: '2.05', payload: Buffer.from(`call ${++calls}`) }));
  for (let i = 0; i < 3; i++) device.send(serverAddr, { confirmable: true, messageId: 77, token: Buffer.from('aa', 'hex'), code: 'GET', options: [{ name: 'Uri-Path', value: Buffer.from('x') }] });
  await net.flush();
  t.is(calls, 1);
  const replies = device.take();
  t.is(replies.length, 3);
  t.true(replies.every((r) => r.ack && r.messageId === 77 && r.payload.toString() === 'call 1'));
  t.is(server.stats().duplicates, 2);
});

test('a duplicate that arrives while the handler is still running is ignored', async (t) => {
  const { net, server, device, serverAddr } = harness();
  let calls = 0;
  let finish: (() => void) | undefined;
  server.onRequest(() => {
    calls++;
    return new Promise((r) => (finish = () => r({ code: '2.04' })));
  });
  const req = { confirmable: true, messageId: 5, token: Buffer.from('01', 'hex'), code: 'POST', options: [] };
  device.send(serverAddr, req);
  device.send(serverAddr, req);
  await net.flush();
  t.is(calls, 1);
  t.is(device.inbox.length, 0);
  finish!();
  await net.flush();
  t.is(device.take().length, 1);
});

test('the same MID from two different peers is two different requests', async (t) => {
  const { net, server, serverAddr } = harness();
  const { RawPeer } = await import('./helpers/fake-network.js');
  const a = new RawPeer(net, '198.51.100.1', 5000);
  const b = new RawPeer(net, '198.51.100.2', 5000);
  const seen: string[] = [];
  server.onRequest((r) => (seen.push(r.peer.address), { code: '2.05' }));
  a.send(serverAddr, { confirmable: true, messageId: 9, code: 'GET', options: [] });
  b.send(serverAddr, { confirmable: true, messageId: 9, code: 'GET', options: [] });
  await net.flush();
  t.deepEqual(seen.sort(), ['198.51.100.1', '198.51.100.2']);
});

test('dedup memory stays bounded under a flood of distinct MIDs', async (t) => {
  const { net, server, device, serverAddr } = harness({ MAX_DEDUP_ENTRIES: 500 });
  server.onRequest(() => ({ code: '2.05' }));
  for (let i = 0; i < 3000; i++) device.send(serverAddr, { confirmable: true, messageId: i, code: 'GET', options: [] });
  await net.flush();
  t.is(device.take().length, 3000);
  t.true(server.stats().dedupEntries <= 500);
});

test('a CoAP ping (empty CON) is answered with RST (§4.3)', async (t) => {
  const { net, server, device, serverAddr } = harness();
  device.sendRaw(serverAddr, Buffer.from('40001234', 'hex'));
  await net.flush();
  const [r] = device.take();
  t.true(r.reset);
  t.is(r.messageId, 0x1234);
  t.is(server.stats().resetsSent, 1);
});

test('a malformed CON is rejected with RST, a malformed NON silently dropped, both counted', async (t) => {
  const { net, server, device, serverAddr } = harness();
  device.sendRaw(serverAddr, Buffer.from('4001beefff', 'hex')); // CON, marker without payload
  device.sendRaw(serverAddr, Buffer.from('5001beeff1', 'hex')); // NON, delta nibble 15
  device.sendRaw(serverAddr, Buffer.from('01', 'hex'));
  await net.flush();
  const replies = device.take();
  t.is(replies.length, 1);
  t.true(replies[0].reset);
  t.is(replies[0].messageId, 0xbeef);
  t.is(server.stats().malformed, 3);
});

test('a CON with an unrecognized critical option gets 4.02 Bad Option (§5.4.1)', async (t) => {
  const { net, server, device, serverAddr } = harness();
  let calls = 0;
  server.onRequest(() => (calls++, { code: '2.05' }));
  device.send(serverAddr, { confirmable: true, messageId: 1, code: 'GET', options: [{ name: '2051', value: Buffer.from('x') }] });
  await net.flush();
  const [r] = device.take();
  t.is(r.code, '4.02');
  t.is(calls, 0);
});

test('an unknown method code is answered 4.05', async (t) => {
  const { net, server, device, serverAddr } = harness();
  server.onRequest(() => ({ code: '2.05' }));
  device.send(serverAddr, { confirmable: true, messageId: 1, code: '0.09', options: [] });
  await net.flush();
  t.is(device.take()[0].code, '4.05');
});

test('a handler throwing Lwm2mError answers its code with a text diagnostic; other throws answer 5.00', async (t) => {
  const { net, server, device, serverAddr } = harness();
  server.onRequest((r) => {
    if (r.path[0] === 'a') throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', 'no such object');
    throw new Error('secret internals');
  });
  device.send(serverAddr, { confirmable: true, messageId: 1, code: 'GET', options: [{ name: 'Uri-Path', value: Buffer.from('a') }] });
  device.send(serverAddr, { confirmable: true, messageId: 2, code: 'GET', options: [{ name: 'Uri-Path', value: Buffer.from('b') }] });
  await net.flush();
  const [a, b] = device.take();
  t.is(a.code, '4.04');
  t.is(a.payload.toString(), 'no such object');
  t.is(uintOf(opt(a, 'Content-Format')), 0);
  t.is(b.code, '5.00');
  t.is(b.payload.length, 0);
});

test('a slow handler gets an empty ACK, then a CON separate response which is retransmitted until ACKed (§5.2.2)', async (t) => {
  const { net, clock, server, device, serverAddr } = harness({ SEPARATE_RESPONSE_AFTER: 1000 });
  let finish: (() => void) | undefined;
  server.onRequest(() => new Promise((r) => (finish = () => r({ code: '2.04', payload: Buffer.from('late') }))));
  device.send(serverAddr, { confirmable: true, messageId: 300, token: Buffer.from('cafe', 'hex'), code: 'POST', options: [] });
  await net.flush();
  t.is(device.inbox.length, 0);
  await advance(net, clock, 1000);
  const [emptyAck] = device.take();
  t.true(emptyAck.ack);
  t.is(emptyAck.code, '0.00');
  t.is(emptyAck.messageId, 300);
  finish!();
  await net.flush();
  const [sep] = device.take();
  t.true(sep.confirmable);
  t.is(sep.code, '2.04');
  t.is(sep.token.toString('hex'), 'cafe');
  t.not(sep.messageId, 300);
  await advance(net, clock, 3100);
  const [again] = device.take();
  t.is(again.messageId, sep.messageId, 'not ACKed yet: retransmitted');
  device.send(serverAddr, { ack: true, messageId: sep.messageId, code: '0.00' });
  await advance(net, clock, 60_000, 1000);
  t.is(device.take().length, 0);
  // the original request's duplicate now gets the empty ACK again, not a second handler run
  device.send(serverAddr, { confirmable: true, messageId: 300, token: Buffer.from('cafe', 'hex'), code: 'POST', options: [] });
  await net.flush();
  const [dup] = device.take();
  t.true(dup.ack && dup.code === '0.00');
});

test('a NON request gets a NON response', async (t) => {
  const { net, server, device, serverAddr } = harness();
  server.onRequest(() => ({ code: '2.05', payload: Buffer.from('x') }));
  device.send(serverAddr, { messageId: 1, token: Buffer.from('0102', 'hex'), code: 'GET', options: [] });
  await net.flush();
  const [r] = device.take();
  t.false(r.confirmable);
  t.false(r.ack);
  t.is(r.token.toString('hex'), '0102');
});

test('an unexpected CON response (unknown token) is rejected with RST; a late duplicate gets the same RST', async (t) => {
  const { net, server, device, serverAddr } = harness();
  device.send(serverAddr, { confirmable: true, messageId: 42, token: Buffer.from('dead', 'hex'), code: '2.05', options: [] });
  device.send(serverAddr, { confirmable: true, messageId: 42, token: Buffer.from('dead', 'hex'), code: '2.05', options: [] });
  await net.flush();
  const replies = device.take();
  t.is(replies.length, 2);
  t.true(replies.every((r) => r.reset && r.messageId === 42));
  t.is(server.stats().orphanNotifications, 1);
});

test('an RST from the device rejects the request', async (t) => {
  const { net, server, device } = harness();
  device.onPacket = (m) => device.send(server.address(), { reset: true, messageId: m.messageId, code: '0.00' });
  const p = server.request(device.address, GET_3_0);
  await net.flush();
  const err = await t.throwsAsync(p);
  t.is((err as Lwm2mError).code, 'LWM2M_ERR_DEVICE_ERROR');
  t.is(server.stats().resetsReceived, 1);
});

test('close() rejects outstanding requests and stops timers', async (t) => {
  const { net, clock, server, device } = harness();
  const p = server.request(device.address, GET_3_0);
  await net.flush();
  t.is(await state(p, net), 'pending');
  await server.close();
  const err = await t.throwsAsync(p);
  t.is((err as Lwm2mError).code, 'LWM2M_ERR_CANCELLED');
  t.is(clock.pendingTimers, 0);
});

test('a request through us as a proxy (Proxy-Uri) is answered 5.05', async (t) => {
  const { net, server, device, serverAddr } = harness();
  server.onRequest(() => ({ code: '2.05' }));
  device.send(serverAddr, { confirmable: true, messageId: 1, code: 'GET', options: [{ name: 'Proxy-Uri', value: Buffer.from('coap://example/x') }] });
  await net.flush();
  t.is(device.take()[0].code, '5.05');
});

test('a response with an unrecognized critical option fails the request', async (t) => {
  const { net, server, device } = harness();
  device.onPacket = (m) => device.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: '2.05', options: [{ name: '2051', value: Buffer.from('x') }] });
  const p = server.request(device.address, GET_3_0);
  await net.flush();
  const err = (await t.throwsAsync(p)) as Lwm2mError;
  t.is(err.code, 'LWM2M_ERR_DEVICE_ERROR');
  t.is(server.stats().badOption, 1);
});

test('a handler that returns nothing is answered 5.00 instead of leaving the device waiting', async (t) => {
  const { net, server, device, serverAddr } = harness();
  server.onRequest((() => undefined) as unknown as () => { code: string });
  device.send(serverAddr, { confirmable: true, messageId: 1, code: 'GET', options: [] });
  await net.flush();
  t.is(device.take()[0].code, '5.00');
  t.is(server.stats().internalErrors, 0);
});
