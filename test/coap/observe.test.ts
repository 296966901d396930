import test from 'ava';
import type { IncomingResponse } from '../../src/coap/types.js';
import { isFresher } from '../../src/coap/observer.js';
import { advance, harness } from './helpers/harness.js';
import { opt, uintBuf, uintOf } from './helpers/fake-network.js';

/** Registers an observation on /3/0/9 with a device that answers 2.05 Observe=first. */
async function observed(first = 0, params = {}) {
  const h = harness(params);
  const { net, server, device } = h;
  const notes: IncomingResponse[] = [];
  device.onPacket = (m) => {
    if (m.code === '0.01' && device.inbox.length === 1) {
      device.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: '2.05', payload: Buffer.from('40'), options: [{ name: 'Observe', value: uintBuf(first) }] });
    }
  };
  const p = server.observe(device.address, { method: 'GET', path: ['3', '0', '9'], accept: 0 }, (n) => notes.push(n));
  await net.flush();
  const obs = await p;
  const reg = device.take()[0];
  device.onPacket = undefined;
  let mid = 1000;
  const notify = (seq: number, value: string, confirmable = false, token = obs.token) =>
    device.send(server.address(), { confirmable, messageId: mid++, token, code: '2.05', payload: Buffer.from(value), options: [{ name: 'Observe', value: uintBuf(seq) }] });
  return { ...h, notes, obs, reg, notify };
}

test('observe sends Observe=0, resolves with the first response and delivers NON notifications (wakaama)', async (t) => {
  const { net, server, notes, obs, reg, notify } = await observed(0);
  t.is(uintOf(opt(reg, 'Observe')), 0);
  t.is(obs.response.payload.toString(), '40');
  t.is(obs.response.observe, 0);
  notify(1, '41');
  notify(2, '42');
  await net.flush();
  t.deepEqual(notes.map((n) => n.payload.toString()), ['41', '42']);
  t.deepEqual(notes.map((n) => n.observe), [1, 2]);
  t.is(server.stats().observations, 1);
});

test('stale and duplicate notifications are dropped (RFC 7641 §3.4)', async (t) => {
  const { net, server, notes, notify } = await observed(15); // Leshan starts anywhere and skips numbers
  notify(19, 'a');
  notify(17, 'stale');
  notify(19, 'same');
  notify(23, 'b');
  await net.flush();
  t.deepEqual(notes.map((n) => n.payload.toString()), ['a', 'b']);
  t.is(server.stats().staleNotifications, 2);
});

test('a CON notification is ACKed, even when stale (Leshan sends every ~100th as CON)', async (t) => {
  const { net, device, notes, notify } = await observed(5);
  notify(6, 'con', true);
  notify(3, 'old-con', true);
  await net.flush();
  const acks = device.take();
  t.is(acks.length, 2);
  t.true(acks.every((a) => a.ack && a.code === '0.00'));
  t.deepEqual(notes.map((n) => n.payload.toString()), ['con']);
  t.true(notes[0].confirmable);
});

test('the 24-bit sequence wraps, and after 128 s any number is fresh', (t) => {
  const T = 1_000_000;
  t.true(isFresher(0xfffffe, T, 1, T + 1), 'wrapped forward');
  t.false(isFresher(1, T, 0xfffffe, T + 1), 'a wrapped old one is stale');
  t.false(isFresher(10, T, 9, T + 1));
  t.true(isFresher(10, T, 9, T + 128_001), 'more than 128 s later');
  t.false(isFresher(10, T, 9, T + 128_000));
  t.true(isFresher(10, T, 10 + (1 << 23) - 1, T));
  t.false(isFresher(10, T, 10 + (1 << 23), T));
});

test('after 128 s a lower Observe number is accepted', async (t) => {
  const { net, clock, notes, notify } = await observed(50);
  await advance(net, clock, 130_000, 10_000);
  notify(1, 'restarted');
  await net.flush();
  t.deepEqual(notes.map((n) => n.payload.toString()), ['restarted']);
});

test('passive cancel forgets the observation; the next notification gets RST (RFC 7641 §3.6)', async (t) => {
  const { net, server, device, notes, obs, notify } = await observed(0);
  await obs.cancel('passive');
  t.is(device.inbox.length, 0, 'nothing is sent');
  notify(1, 'after');
  await net.flush();
  const [rst] = device.take();
  t.true(rst.reset);
  t.is(notes.length, 0);
  t.is(server.stats().observations, 0);
});

test('active cancel sends GET with Observe=1, the same token and options', async (t) => {
  const { net, server, device, obs, reg } = await observed(0);
  device.onPacket = (m) => device.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: '2.05', payload: Buffer.from('40') });
  const c = obs.cancel('active');
  await net.flush();
  await c;
  const [cancel] = device.take();
  t.is(uintOf(opt(cancel, 'Observe')), 1);
  t.deepEqual(cancel.token, obs.token);
  t.deepEqual(cancel.token, reg.token);
  t.is(uintOf(opt(cancel, 'Accept')), 0);
  t.is(server.stats().observations, 0);
});

test('a notification with an error code ends the observation (RFC 7641 §3.2)', async (t) => {
  const { net, server, device, notes, obs } = await observed(0);
  device.send(server.address(), { messageId: 7, token: obs.token, code: '4.04' });
  await net.flush();
  t.is(notes.length, 1);
  t.is(notes[0].code, '4.04');
  t.is(server.stats().observations, 0);
});

test('a first response without Observe means no observation was made', async (t) => {
  const { net, server, device } = harness();
  device.onPacket = (m) => device.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: '2.05', payload: Buffer.from('x') });
  const p = server.observe(device.address, { method: 'GET', path: ['1'] }, () => t.fail());
  await net.flush();
  const obs = await p;
  t.is(obs.response.observe, undefined);
  t.is(server.stats().observations, 0);
});

test('attachObservation re-attaches a stored token without sending; detach forgets it', async (t) => {
  const { net, server, device } = harness();
  const token = Buffer.from('0badf00d', 'hex');
  const notes: string[] = [];
  server.attachObservation(device.address, token, (n) => notes.push(n.payload.toString()));
  await net.flush();
  t.is(device.inbox.length, 0);
  device.send(server.address(), { messageId: 1, token, code: '2.05', payload: Buffer.from('n1'), options: [{ name: 'Observe', value: uintBuf(900) }] });
  await net.flush();
  t.deepEqual(notes, ['n1']);
  t.true(server.detachObservation(device.address, token));
  device.send(server.address(), { messageId: 2, token, code: '2.05', payload: Buffer.from('n2'), options: [{ name: 'Observe', value: uintBuf(901) }] });
  await net.flush();
  t.deepEqual(notes, ['n1']);
  t.true(device.take().at(-1)!.reset);
});

test('the orphan handler may accept a notification with an unknown token (then it is ACKed, not RST)', async (t) => {
  const { net, server, device } = harness();
  const offered: string[] = [];
  server.onOrphanNotification((res) => {
    offered.push(res.token.toString('hex'));
    return res.token[0] === 0xaa;
  });
  device.send(server.address(), { confirmable: true, messageId: 1, token: Buffer.from('aa01', 'hex'), code: '2.05', options: [{ name: 'Observe', value: uintBuf(3) }] });
  device.send(server.address(), { confirmable: true, messageId: 2, token: Buffer.from('bb01', 'hex'), code: '2.05', options: [{ name: 'Observe', value: uintBuf(3) }] });
  await net.flush();
  t.deepEqual(offered, ['aa01', 'bb01']);
  const [a, b] = device.take();
  t.true(a.ack && a.messageId === 1);
  t.true(b.reset && b.messageId === 2);
});

test('notifications are matched per peer: the same token from another peer is an orphan', async (t) => {
  const { net, server, notes, obs } = await observed(0);
  const { RawPeer } = await import('./helpers/fake-network.js');
  const stranger = new RawPeer(net, '203.0.113.5', 5683);
  stranger.send(server.address(), { messageId: 1, token: obs.token, code: '2.05', payload: Buffer.from('x'), options: [{ name: 'Observe', value: uintBuf(5) }] });
  await net.flush();
  t.is(notes.length, 0);
  t.true(stranger.take()[0].reset);
});
