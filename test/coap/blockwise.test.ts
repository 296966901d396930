import test from 'ava';
import type { ParsedPacket } from 'coap-packet';
import type { Lwm2mError } from '../../src/errors.js';
import type { IncomingRequest, IncomingResponse } from '../../src/coap/types.js';
import { decodeBlock, encodeBlock } from '../../src/coap/block.js';
import { loadCapture } from '../helpers/captures.js';
import { harness } from './helpers/harness.js';
import { opt, opts, uintBuf, uintOf } from './helpers/fake-network.js';

const body = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => 65 + (i % 26)));

/** A device serving `data` block-wise in `size`-byte blocks for any GET with a Block2 num. */
function serveBlocks(device: ReturnType<typeof harness>['device'], server: { address(): { address: string; port: number } }, data: Buffer, szx: number, extra: { name: string; value: Buffer }[] = []) {
  const size = 1 << (szx + 4);
  return (m: ParsedPacket) => {
    const b2 = uintOf(opt(m, 'Block2'));
    const num = b2 === undefined ? 0 : decodeBlock(b2).num;
    const more = (num + 1) * size < data.length;
    device.send(server.address(), {
      ack: true, messageId: m.messageId, token: m.token, code: '2.05',
      payload: data.subarray(num * size, (num + 1) * size),
      options: [...(num === 0 ? extra : []), { name: 'Content-Format', value: uintBuf(11542) }, { name: 'Block2', value: uintBuf(encodeBlock(num, more, szx)) }],
    });
  };
}

test('Block2: a response in 16-byte blocks is fetched with the same options and reassembled', async (t) => {
  const { net, server, device } = harness();
  const data = body(50);
  device.onPacket = serveBlocks(device, server, data, 0);
  const p = server.request(device.address, { method: 'GET', path: ['3', '0'], accept: 11542 });
  await net.flush();
  const res = await p;
  t.deepEqual(res.payload, data);
  t.is(res.contentFormat, 11542);
  const reqs = device.inbox;
  t.is(reqs.length, 4);
  t.deepEqual(reqs.map((r) => (uintOf(opt(r, 'Block2')) === undefined ? -1 : decodeBlock(uintOf(opt(r, 'Block2'))!).num)), [-1, 1, 2, 3]);
  t.true(reqs.every((r) => uintOf(opt(r, 'Accept')) === 11542 && opts(r, 'Uri-Path').join('/') === '3/0'));
});

test('Block2: a body over MAX_BODY_SIZE is refused with LWM2M_ERR_ENTITY_TOO_LARGE', async (t) => {
  const { net, server, device } = harness({ MAX_BODY_SIZE: 40 });
  device.onPacket = serveBlocks(device, server, body(100), 0);
  const p = server.request(device.address, { method: 'GET', path: ['3'] });
  await net.flush();
  const err = (await t.throwsAsync(p)) as Lwm2mError;
  t.is(err.code, 'LWM2M_ERR_ENTITY_TOO_LARGE');
});

test('Block1: a large payload goes out in blocks, each after 2.31 Continue, with Size1 on the first', async (t) => {
  const { net, server, device } = harness({ BLOCK_SIZE: 16 });
  const data = body(40);
  device.onPacket = (m) => {
    const b1 = decodeBlock(uintOf(opt(m, 'Block1'))!);
    device.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: b1.more ? '2.31' : '2.04', options: [{ name: 'Block1', value: uintBuf(encodeBlock(b1.num, b1.more, b1.szx)) }] });
  };
  const p = server.request(device.address, { method: 'PUT', path: ['31024', '10', '1'], contentFormat: 0, payload: data });
  await net.flush();
  t.is((await p).code, '2.04');
  const blocks = device.inbox.map((m) => ({ ...decodeBlock(uintOf(opt(m, 'Block1'))!), len: m.payload.length, size1: uintOf(opt(m, 'Size1')) }));
  t.deepEqual(blocks, [
    { num: 0, more: true, szx: 0, len: 16, size1: 40 },
    { num: 1, more: true, szx: 0, len: 16, size1: undefined },
    { num: 2, more: false, szx: 0, len: 8, size1: undefined },
  ]);
  t.deepEqual(Buffer.concat(device.inbox.map((m) => m.payload)), data);
  t.true(device.inbox.every((m) => uintOf(opt(m, 'Content-Format')) === 0));
});

test('Block1: a 4.13 with Size1 makes the request go again in smaller blocks (RFC 7959 §2.9.3)', async (t) => {
  const { net, server, device } = harness();
  const data = body(100);
  device.onPacket = (m) => {
    const b1v = uintOf(opt(m, 'Block1'));
    if (b1v === undefined) {
      device.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: '4.13', options: [{ name: 'Size1', value: uintBuf(32) }] });
      return;
    }
    const b1 = decodeBlock(b1v);
    device.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: b1.more ? '2.31' : '2.04', options: [{ name: 'Block1', value: uintBuf(b1v) }] });
  };
  const p = server.request(device.address, { method: 'POST', path: ['1', '0'], payload: data });
  await net.flush();
  t.is((await p).code, '2.04');
  const [whole, ...blocks] = device.inbox;
  t.is(whole.payload.length, 100);
  t.deepEqual(blocks.map((b) => b.payload.length), [32, 32, 32, 4]);
  t.deepEqual(Buffer.concat(blocks.map((b) => b.payload)), data);
});

test('Block1: the peer answering 2.31 with a smaller SZX sets the size of the following blocks', async (t) => {
  const { net, server, device } = harness({ BLOCK_SIZE: 64 });
  const data = body(100);
  device.onPacket = (m) => {
    const b1 = decodeBlock(uintOf(opt(m, 'Block1'))!);
    // the device wants 16-byte blocks: it acknowledges block 0 as if it were 16 bytes (RFC 7959 §2.5)
    device.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: b1.more ? '2.31' : '2.04', options: [{ name: 'Block1', value: uintBuf(encodeBlock(b1.szx === 0 ? b1.num : 0, b1.more, 0)) }] });
  };
  const p = server.request(device.address, { method: 'PUT', path: ['5', '0', '0'], payload: data });
  await net.flush();
  t.is((await p).code, '2.04');
  const sent = device.inbox.map((m) => decodeBlock(uintOf(opt(m, 'Block1'))!));
  t.deepEqual(sent.map((b) => [b.num, b.szx]), [[0, 2], [4, 0], [5, 0], [6, 0]]);
  t.deepEqual(Buffer.concat(device.inbox.map((m) => m.payload)), data);
});

test('a Block2 notification: the rest is fetched with GETs without Observe, then delivered whole (RFC 7959 §3.4)', async (t) => {
  const { net, server, device } = harness();
  const notes: IncomingResponse[] = [];
  device.onPacket = (m) => device.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: '2.05', payload: Buffer.from('small'), options: [{ name: 'Observe', value: uintBuf(1) }] });
  const p = server.observe(device.address, { method: 'GET', path: ['3', '0'], accept: 11542 }, (n) => notes.push(n));
  await net.flush();
  const obs = await p;
  device.take();
  const data = body(40);
  device.onPacket = serveBlocks(device, server, data, 0);
  device.send(server.address(), {
    messageId: 500, token: obs.token, code: '2.05', payload: data.subarray(0, 16),
    options: [{ name: 'Observe', value: uintBuf(2) }, { name: 'Content-Format', value: uintBuf(11542) }, { name: 'Block2', value: uintBuf(encodeBlock(0, true, 0)) }],
  });
  await net.flush();
  t.is(notes.length, 1);
  t.deepEqual(notes[0].payload, data);
  t.is(notes[0].observe, 2);
  t.deepEqual(notes[0].token, obs.token);
  const follow = device.take();
  t.deepEqual(follow.map((f) => decodeBlock(uintOf(opt(f, 'Block2'))!).num), [1, 2]);
  t.true(follow.every((f) => opt(f, 'Observe') === undefined && uintOf(opt(f, 'Accept')) === 11542));
  t.is(server.stats().observations, 1, 'still observed, not re-registered');
});

test('server side: the Block1 Register from the wakaama capture (3 blocks, one token) is reassembled', async (t) => {
  const { net, server, device, serverAddr } = harness();
  const capture = loadCapture('wakaama-blockwise');
  const blocks = capture.filter((d) => d.dir === 'client->server' && d.coap.options.some((o) => o.name === 'Block1')).slice(0, 3);
  t.is(new Set(blocks.map((b) => b.coap.token)).size, 1);
  const seen: IncomingRequest[] = [];
  server.onRequest((r) => (seen.push(r), { code: '2.01', locationPath: ['rd', 'a1b2c3'] }));
  for (const b of blocks) {
    device.sendRaw(serverAddr, Buffer.from(b.hex, 'hex'));
    await net.flush();
  }
  const replies = device.take();
  t.deepEqual(replies.map((r) => r.code), ['2.31', '2.31', '2.01']);
  t.deepEqual(replies.map((r) => decodeBlock(uintOf(opt(r, 'Block1'))!)), [
    { num: 0, more: true, szx: 2 },
    { num: 1, more: true, szx: 2 },
    { num: 2, more: false, szx: 2 },
  ]);
  t.deepEqual(opts(replies[2], 'Location-Path'), ['rd', 'a1b2c3']);
  t.is(seen.length, 1);
  const expected = Buffer.concat(blocks.map((b) => Buffer.from(b.coap.payloadHex ?? '', 'hex')));
  t.is(seen[0].payload.length, 140);
  t.deepEqual(seen[0].payload, expected);
  t.deepEqual(seen[0].query, ['lwm2m=1.1', 'ep=wk-block-ep', 'b=U', 'lt=300']);
  t.is(seen[0].contentFormat, 40);
});

test('server side: a Block1 block out of order gets 4.08, one beyond MAX_BODY_SIZE gets 4.13 with Size1', async (t) => {
  const { net, server, device, serverAddr } = harness({ MAX_BODY_SIZE: 100 });
  server.onRequest(() => ({ code: '2.04' }));
  const send = (mid: number, num: number, more: boolean, n = 16, size1?: number) =>
    device.send(serverAddr, { confirmable: true, messageId: mid, token: Buffer.from('01', 'hex'), code: 'POST', payload: body(n), options: [{ name: 'Uri-Path', value: Buffer.from('x') }, { name: 'Block1', value: uintBuf(encodeBlock(num, more, 0)) }, ...(size1 ? [{ name: 'Size1', value: uintBuf(size1) }] : [])] });
  send(1, 0, true);
  send(2, 2, true);
  send(3, 0, true, 16, 500);
  await net.flush();
  const [a, b, c] = device.take();
  t.is(a.code, '2.31');
  t.is(b.code, '4.08');
  t.is(c.code, '4.13');
  t.is(uintOf(opt(c, 'Size1')), 100);
});

test('server side: a large response goes out block-wise and later blocks come from the kept body', async (t) => {
  const { net, server, device, serverAddr } = harness();
  const data = body(3000);
  let calls = 0;
  server.onRequest(() => (calls++, { code: '2.05', contentFormat: 11542, payload: data }));
  const got: ParsedPacket[] = [];
  device.onPacket = (m) => {
    got.push(m);
    const b = decodeBlock(uintOf(opt(m, 'Block2'))!);
    if (b.more) device.send(serverAddr, { confirmable: true, messageId: 10 + b.num + 1, token: Buffer.from('77', 'hex'), code: 'GET', options: [{ name: 'Uri-Path', value: Buffer.from('3') }, { name: 'Block2', value: uintBuf(encodeBlock(b.num + 1, false, b.szx)) }] });
  };
  device.send(serverAddr, { confirmable: true, messageId: 10, token: Buffer.from('77', 'hex'), code: 'GET', options: [{ name: 'Uri-Path', value: Buffer.from('3') }] });
  await net.flush();
  t.is(calls, 1);
  t.deepEqual(got.map((m) => decodeBlock(uintOf(opt(m, 'Block2'))!)), [
    { num: 0, more: true, szx: 6 },
    { num: 1, more: true, szx: 6 },
    { num: 2, more: false, szx: 6 },
  ]);
  t.is(uintOf(opt(got[0], 'Size2')), 3000);
  t.true(got.every((m) => uintOf(opt(m, 'Content-Format')) === 11542));
  t.deepEqual(Buffer.concat(got.map((m) => m.payload)), data);
  t.is(server.stats().blockTransfers, 0, 'the kept body is dropped after the last block');
});

test('server side: a client asking for 32-byte blocks in its first request gets 32-byte blocks', async (t) => {
  const { net, server, device, serverAddr } = harness();
  const data = body(70);
  server.onRequest(() => ({ code: '2.05', payload: data }));
  device.send(serverAddr, { confirmable: true, messageId: 1, token: Buffer.from('01', 'hex'), code: 'GET', options: [{ name: 'Block2', value: uintBuf(encodeBlock(0, false, 1)) }] });
  await net.flush();
  const [r] = device.take();
  t.deepEqual(decodeBlock(uintOf(opt(r, 'Block2'))!), { num: 0, more: true, szx: 1 });
  t.deepEqual(r.payload, data.subarray(0, 32));
});

test('two endpoints move a large body both ways block-wise', async (t) => {
  const { CoapEndpoint } = await import('../../src/coap/endpoint.js');
  const { net, clock, server } = harness({ BLOCK_SIZE: 64 });
  const devT = net.transport('198.51.100.60', 5683);
  const dev = new CoapEndpoint({ transport: devT, clock, params: { BLOCK_SIZE: 32 } });
  const up = body(500);
  const down = body(777);
  dev.onRequest((r) => ({ code: '2.04', payload: Buffer.concat([r.payload, down]) }));
  const p = server.request(devT.address(), { method: 'POST', path: ['9'], payload: up });
  await net.flush();
  const res = await p;
  t.is(res.code, '2.04');
  t.deepEqual(res.payload, Buffer.concat([up, down]));
  await dev.close();
});

test('an observe whose Block2 follow-up fails rejects and leaves no observation behind', async (t) => {
  const { net, server, device } = harness();
  device.onPacket = (m) => {
    if (uintOf(opt(m, 'Observe')) === 0) {
      device.send(server.address(), { ack: true, messageId: m.messageId, token: m.token, code: '2.05', payload: body(16), options: [{ name: 'Observe', value: uintBuf(1) }, { name: 'Block2', value: uintBuf(encodeBlock(0, true, 0)) }] });
    } else {
      device.send(server.address(), { reset: true, messageId: m.messageId, code: '0.00' });
    }
  };
  const p = server.observe(device.address, { method: 'GET', path: ['3'] }, () => t.fail());
  await net.flush();
  await t.throwsAsync(p);
  t.is(server.stats().observations, 0);
});
