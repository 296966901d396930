import test from 'ava';
import { Lwm2mError } from '../../src/errors.js';
import { CoapEndpoint } from '../../src/coap/endpoint.js';
import { advance, harness, state } from './helpers/harness.js';
import { RawPeer, opt, opts, uintOf } from './helpers/fake-network.js';

test('a piggybacked response resolves with code, content format, payload and the peer', async (t) => {
  const { net, server, device } = harness();
  device.onPacket = (m) =>
    device.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: '2.05', payload: Buffer.from('42'), options: [{ name: 'Content-Format', value: Buffer.from([0x2d, 0x16]) }] });
  const p = server.request(device.address, { method: 'GET', path: ['3', '0', '9'], accept: 11542 });
  await net.flush();
  const res = await p;
  t.is(res.code, '2.05');
  t.is(res.contentFormat, 11542);
  t.is(res.payload.toString(), '42');
  t.deepEqual(res.peer, device.address);
  const [req] = device.inbox;
  t.deepEqual(opts(req, 'Uri-Path'), ['3', '0', '9']);
  t.is(uintOf(opt(req, 'Accept')), 11542);
  t.true(req.token.length >= 4 && req.token.length <= 8);
});

test('an empty ACK then a CON separate response: the response is ACKed and resolves the request', async (t) => {
  const { net, clock, server, device } = harness();
  let token: Buffer | undefined;
  device.onPacket = (m) => {
    if (m.code === '0.01') {
      token = m.token;
      device.send(server.address(), { ack: true, messageId: m.messageId, code: '0.00' });
    }
  };
  const p = server.request(device.address, { method: 'GET', path: ['3', '0'] });
  await net.flush();
  await advance(net, clock, 20_000, 1000);
  t.is(device.inbox.length, 1, 'no retransmission after the empty ACK');
  t.is(await state(p, net), 'pending');
  device.send(server.address(), { confirmable: true, messageId: 999, token, code: '2.05', payload: Buffer.from('sep') });
  await net.flush();
  const res = await p;
  t.is(res.payload.toString(), 'sep');
  t.true(res.confirmable);
  const ack = device.inbox[1];
  t.true(ack.ack && ack.messageId === 999 && ack.code === '0.00');
});

test('a separate response that overtakes a lost empty ACK still completes, and retransmission stops', async (t) => {
  const { net, clock, server, device } = harness();
  device.onPacket = (m) => {
    if (m.code === '0.01' && device.inbox.length === 1) device.send(server.address(), { messageId: 5, token: m.token, code: '2.05', payload: Buffer.from('non') });
  };
  const p = server.request(device.address, { method: 'GET', path: ['1'] });
  await net.flush();
  t.is((await p).payload.toString(), 'non');
  await advance(net, clock, 60_000, 1000);
  t.is(device.inbox.filter((m) => m.code === '0.01').length, 1);
});

test('a device that ACKs but never responds (wakaama composite) times out after timeoutMs', async (t) => {
  const { net, clock, server, device } = harness();
  device.onPacket = (m) => device.send(server.address(), { ack: true, messageId: m.messageId, code: '0.00' });
  const p = server.request(device.address, { method: 'FETCH', path: [], payload: Buffer.from('[]'), contentFormat: 110, timeoutMs: 30_000 });
  const outcome = p.catch((e: unknown) => e);
  await net.flush();
  await advance(net, clock, 29_000, 1000);
  t.is(await state(p, net), 'pending');
  await advance(net, clock, 1000);
  const err = (await outcome) as Lwm2mError;
  t.is(err.code, 'LWM2M_ERR_TIMEOUT');
  t.is(server.stats().outstandingExchanges, 0);
});

test('NSTART=1: a second request to the same peer waits until the first completes; other peers are not held up', async (t) => {
  const { net, server, device } = harness();
  const other = new RawPeer(net, '198.51.100.99', 5683);
  const held: number[] = [];
  device.onPacket = (m) => held.push(m.messageId);
  other.onPacket = (m) => other.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: '2.05' });
  const first = server.request(device.address, { method: 'GET', path: ['a'] });
  const second = server.request(device.address, { method: 'GET', path: ['b'] });
  const third = server.request(other.address, { method: 'GET', path: ['c'] });
  await net.flush();
  t.is(device.inbox.length, 1);
  t.deepEqual(opts(device.inbox[0], 'Uri-Path'), ['a']);
  t.is(server.stats().queuedRequests, 1);
  await third;
  const a = device.inbox[0];
  device.send(server.address(), { ack: true, messageId: a.messageId, token: a.token, code: '2.05', payload: Buffer.from('A') });
  await net.flush();
  t.is((await first).payload.toString(), 'A');
  t.is(device.inbox.length, 2);
  t.deepEqual(opts(device.inbox[1], 'Uri-Path'), ['b']);
  const b = device.inbox[1];
  device.send(server.address(), { ack: true, messageId: b.messageId, token: b.token, code: '2.05', payload: Buffer.from('B') });
  await net.flush();
  t.is((await second).payload.toString(), 'B');
  t.is(server.stats().queuedRequests, 0);
});

test('a queued request that times out is skipped, and the queue moves on', async (t) => {
  const { net, clock, server, device } = harness();
  const first = server.request(device.address, { method: 'GET', path: ['a'] });
  const second = server.request(device.address, { method: 'GET', path: ['b'], timeoutMs: 500 });
  const third = server.request(device.address, { method: 'GET', path: ['c'] });
  const secondErr = second.catch((e: unknown) => e);
  await net.flush();
  await advance(net, clock, 600);
  t.is(((await secondErr) as Lwm2mError).code, 'LWM2M_ERR_TIMEOUT');
  t.is(server.stats().queuedRequests, 1, 'only the third is still queued');
  t.is(server.stats().outstandingExchanges, 1);
  const a = device.inbox[0];
  device.send(server.address(), { ack: true, messageId: a.messageId, token: a.token, code: '2.05' });
  await net.flush();
  await first;
  const next = device.inbox.filter((m) => m.code === '0.01').map((m) => opts(m, 'Uri-Path')[0]);
  t.deepEqual([...new Set(next)], ['a', 'c']);
  const c = device.inbox.find((m) => opts(m, 'Uri-Path')[0] === 'c')!;
  device.send(server.address(), { ack: true, messageId: c.messageId, token: c.token, code: '2.05' });
  await net.flush();
  t.is((await third).code, '2.05');
});

test('token matching is scoped by peer: two devices answering with the same MID and token both get through', async (t) => {
  // node-coap matches by MID across peers and drops one of these; we key on (peer, token).
  const { net, server } = harness({}, () => 0.25); // same random → same token and MID start for both peers
  const a = new RawPeer(net, '198.51.100.1', 5683);
  const b = new RawPeer(net, '198.51.100.2', 5683);
  const pa = server.request(a.address, { method: 'GET', path: ['3', '0', '0'] });
  const pb = server.request(b.address, { method: 'GET', path: ['3', '0', '0'] });
  await net.flush();
  const [ra] = a.inbox;
  const [rb] = b.inbox;
  t.is(ra.messageId, rb.messageId, 'same MID on the wire');
  t.deepEqual(ra.token, rb.token, 'same token on the wire');
  // separate NON responses with identical MIDs and tokens from both peers
  b.send(server.address(), { messageId: 4242, token: rb.token, code: '2.05', payload: Buffer.from('B') });
  a.send(server.address(), { messageId: 4242, token: ra.token, code: '2.05', payload: Buffer.from('A') });
  await net.flush();
  t.is((await pa).payload.toString(), 'A');
  t.is((await pb).payload.toString(), 'B');
});

test('a response with a mismatched token in the ACK is not accepted as the answer', async (t) => {
  const { net, server, device } = harness();
  device.onPacket = (m) => device.send(server.address(), { ack: true, messageId: m.messageId, token: Buffer.from('ffffffff', 'hex'), code: '2.05' });
  const p = server.request(device.address, { method: 'GET', path: ['1'] });
  await net.flush();
  const err = (await t.throwsAsync(p)) as Lwm2mError;
  t.is(err.code, 'LWM2M_ERR_DEVICE_ERROR');
});

test('a NON request gets its NON response by token', async (t) => {
  const { net, server, device } = harness();
  device.onPacket = (m) => {
    t.false(m.confirmable);
    device.send(server.address(), { messageId: 1, token: m.token, code: '2.05', payload: Buffer.from('n') });
  };
  const p = server.request(device.address, { method: 'GET', path: ['1'], confirmable: false });
  await net.flush();
  t.is((await p).payload.toString(), 'n');
});

test('two endpoints talk to each other both ways over one socket each', async (t) => {
  const { net, clock, server } = harness();
  const devTransport = net.transport('198.51.100.50', 5683);
  const dev = new CoapEndpoint({ transport: devTransport, clock });
  dev.onRequest((r) => ({ code: '2.05', payload: Buffer.from(`dev:${r.path.join('/')}`) }));
  server.onRequest((r) => ({ code: '2.01', locationPath: ['rd', 'abc'], payload: Buffer.from(r.query.join('&')) }));
  const reg = dev.request(server.address(), { method: 'POST', path: ['rd'], query: ['ep=x', 'lt=60'], contentFormat: 40, payload: Buffer.from('</3/0>') });
  const read = server.request(devTransport.address(), { method: 'GET', path: ['3', '0'] });
  await net.flush();
  const r1 = await reg;
  t.is(r1.code, '2.01');
  t.deepEqual(r1.locationPath, ['rd', 'abc']);
  t.is(r1.payload.toString(), 'ep=x&lt=60');
  t.is((await read).payload.toString(), 'dev:3/0');
  await dev.close();
});

test('per-peer state and dedup entries are dropped after EXCHANGE_LIFETIME of silence', async (t) => {
  const { net, clock, server, device, serverAddr } = harness();
  server.onRequest(() => ({ code: '2.04' }));
  device.onPacket = (m) => {
    if (m.code === '0.01') device.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: '2.05' });
  };
  const p = server.request(device.address, { method: 'GET', path: ['1'] });
  device.send(serverAddr, { confirmable: true, messageId: 1, code: 'POST', options: [] });
  await net.flush();
  await p;
  t.is(server.stats().peers, 1);
  t.is(server.stats().dedupEntries, 1);
  clock.advance(server.params.EXCHANGE_LIFETIME * 2 + 1);
  await net.flush();
  t.is(server.stats().peers, 0);
  device.send(serverAddr, { confirmable: true, messageId: 2, code: 'POST', options: [] });
  await net.flush();
  t.is(server.stats().dedupEntries, 1, 'the old entry expired and was pruned');
});
