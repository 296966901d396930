import test from 'ava';
import type { ParsedPacket } from 'coap-packet';
import type { IncomingResponse } from '../../src/coap/types.js';
import { loadCapture, type CapturedDatagram } from '../helpers/captures.js';
import { harness } from './helpers/harness.js';
import { opt, uintOf } from './helpers/fake-network.js';
import { decodeBlock } from '../../src/coap/block.js';

/** A captured datagram with our MID and token written in (same token length as captured). */
function patched(d: CapturedDatagram, mid: number, token: Buffer): Buffer {
  const b = Buffer.from(d.hex, 'hex');
  if ((b[0] & 0x0f) !== token.length) throw new Error('token length differs from the capture');
  b.writeUInt16BE(mid, 2);
  token.copy(b, 4);
  return b;
}

const block2Num = (p: ParsedPacket) => {
  const v = uintOf(opt(p, 'Block2'));
  return v === undefined ? 0 : decodeBlock(v).num;
};

for (const [label, token] of [
  ['Read /3/0 (TLV)', '93e32fd7'],
  ['Read /3/0 Accept 110 (SenML JSON, 7 blocks)', '0e325fd7'],
  ['Read /3 Accept 11543 (OMA JSON)', 'a2674165'],
  ['Discover /3', 'c523ba48'],
] as const) {
  test(`wakaama -S 64 replay: ${label} is reassembled from its 64-byte Block2 responses`, async (t) => {
    const { net, server, device } = harness();
    const capture = loadCapture('wakaama-blockwise').filter((d) => d.coap.token === token);
    const requests = capture.filter((d) => d.dir === 'server->client');
    const responses = capture.filter((d) => d.dir === 'client->server');
    device.onPacket = (m) => {
      const r = responses.find((d) => (d.coap.options.find((o) => o.name === 'Block2')?.value as { num: number }).num === block2Num(m));
      if (r) device.sendRaw(server.address(), patched(r, m.messageId, m.token));
    };
    const first = Buffer.from(requests[0].hex, 'hex');
    const accept = requests[0].coap.options.find((o) => o.name === 'Accept')?.value as number | undefined;
    const path = requests[0].coap.options.filter((o) => o.name === 'Uri-Path').map((o) => String(o.value));
    const p = server.request(device.address, { method: 'GET', path, accept });
    await net.flush();
    const res = await p;
    const expected = Buffer.concat(responses.map((d) => Buffer.from(d.coap.payloadHex ?? '', 'hex')));
    t.deepEqual(res.payload, expected);
    t.is(res.contentFormat, responses[0].coap.options.find((o) => o.name === 'Content-Format')?.value as number);
    // our follow-ups ask for the same blocks the recorder asked for, with Accept repeated
    t.deepEqual(device.inbox.map(block2Num), requests.map((d, i) => (i === 0 ? 0 : (d.coap.options.find((o) => o.name === 'Block2')!.value as { num: number }).num)));
    t.true(device.inbox.every((m) => uintOf(opt(m, 'Accept')) === accept));
    t.is(first[1], 0x01);
  });
}

test('Leshan replay: 102 notifications, NON except #99 which is CON and gets an empty ACK; Observe numbers jump', async (t) => {
  const { net, server, device } = harness();
  const capture = loadCapture('leshan-observe-con');
  const firstResponse = capture.find((d) => d.dir === 'client->server' && d.coap.type === 'ACK' && d.coap.code === '2.05')!;
  device.onPacket = (m) => {
    if (uintOf(opt(m, 'Observe')) === 0) device.sendRaw(server.address(), patched(firstResponse, m.messageId, m.token));
  };
  const notes: IncomingResponse[] = [];
  const p = server.observe(device.address, { method: 'GET', path: ['6', '0', '1'], accept: 0 }, (n) => notes.push(n));
  await net.flush();
  const obs = await p;
  t.is(obs.response.observe, 0);
  device.take();
  const notifications = capture.filter((d) => d.dir === 'client->server' && d.coap.code === '2.05' && d.coap.type !== 'ACK');
  t.is(notifications.length, 102);
  for (const d of notifications) device.sendRaw(server.address(), patched(d, d.coap.mid, obs.token));
  await net.flush();
  t.is(notes.length, 102);
  t.deepEqual(notes.map((n) => n.payload.toString('hex')), notifications.map((d) => d.coap.payloadHex));
  const acks = device.take();
  t.is(acks.length, 1);
  t.true(acks[0].ack);
  t.is(acks[0].messageId, 9094);
  t.is(notes.filter((n) => n.confirmable).length, 1);
});

test('node-lib replay: CON notifications are ACKed; active cancel settles at the empty ACK; later notifications get RST', async (t) => {
  const { net, server, device } = harness();
  const capture = loadCapture('nodelib-register-read-write').filter((d) => d.coap.token === '23c7bf9a');
  const firstResponse = capture.find((d) => d.dir === 'client->server' && d.coap.type === 'ACK')!;
  device.onPacket = (m) => {
    if (uintOf(opt(m, 'Observe')) === 0) device.sendRaw(server.address(), patched(firstResponse, m.messageId, m.token));
  };
  const notes: IncomingResponse[] = [];
  const p = server.observe(device.address, { method: 'GET', path: ['3', '0', '9'] }, (n) => notes.push(n));
  await net.flush();
  const obs = await p;
  t.is(obs.response.observe, 1, 'node-lib starts at Observe 1');
  device.take();
  const notify = capture.filter((d) => d.dir === 'client->server' && d.coap.type === 'CON');
  device.sendRaw(server.address(), patched(notify[0], notify[0].coap.mid, obs.token));
  device.sendRaw(server.address(), patched(notify[1], notify[1].coap.mid, obs.token));
  await net.flush();
  t.deepEqual(notes.map((n) => n.observe), [2, 3]);
  t.true(notes.every((n) => n.contentFormat === undefined && n.confirmable));
  t.true(device.take().every((a) => a.ack));
  // node-lib answers the deregistration with an empty ACK and nothing else
  device.onPacket = (m) => device.send(server.address(), { ack: true, messageId: m.messageId, code: '0.00' });
  const cancelled = obs.cancel('active');
  await net.flush();
  await cancelled;
  const [dereg] = device.take();
  t.is(uintOf(opt(dereg, 'Observe')), 1);
  t.is(server.stats().outstandingExchanges, 0, 'the NSTART slot is free again');
  device.onPacket = undefined;
  device.sendRaw(server.address(), patched(notify[2], notify[2].coap.mid, obs.token));
  await net.flush();
  t.true(device.take()[0].reset);
  t.is(notes.length, 2);
});
