import test from 'ava';
import type { Lwm2mError } from '../../src/errors.js';
import { decodeBlock } from '../../src/coap/block.js';
import { advance, harness, state } from './helpers/harness.js';
import { opt, uintOf } from './helpers/fake-network.js';

const token = Buffer.from('a1b2c3d4', 'hex');

test('a NON notification carries the token, Observe, Content-Format and payload, and settles when sent', async (t) => {
  const { net, server, device } = harness();
  const p = server.notify(device.address, token, { code: '2.05', observe: 7, contentFormat: 0, payload: Buffer.from('21.5') });
  t.is(await state(p, net), 'resolved');
  const [m] = device.take();
  t.truthy(m);
  t.false(m!.confirmable);
  t.false(m!.ack);
  t.is(m!.code, '2.05');
  t.deepEqual(m!.token, token);
  t.is(uintOf(opt(m!, 'Observe')), 7);
  t.is(uintOf(opt(m!, 'Content-Format')) ?? 0, 0);
  t.is(m!.payload.toString(), '21.5');
});

test('a CON notification settles when the observer ACKs it', async (t) => {
  const { net, server, device } = harness();
  const p = server.notify(device.address, token, { code: '2.05', observe: 1, payload: Buffer.from('1') }, { confirmable: true });
  t.is(await state(p, net), 'pending');
  const [m] = device.take();
  t.true(m!.confirmable);
  device.send(server.address(), { ack: true, messageId: m!.messageId, code: '0.00', token: Buffer.alloc(0), payload: Buffer.alloc(0), options: [] });
  t.is(await state(p, net), 'resolved');
});

test('an RST to a CON notification rejects with LWM2M_ERR_CANCELLED (passive cancel, RFC 7641 §3.6)', async (t) => {
  const { net, server, device } = harness();
  const p = server.notify(device.address, token, { code: '2.05', observe: 2, payload: Buffer.from('1') }, { confirmable: true });
  await net.flush();
  const [m] = device.take();
  device.send(server.address(), { reset: true, messageId: m!.messageId, code: '0.00', token: Buffer.alloc(0), payload: Buffer.alloc(0), options: [] });
  await net.flush();
  const err = (await t.throwsAsync(p)) as Lwm2mError;
  t.is(err.code, 'LWM2M_ERR_CANCELLED');
});

test('an unacknowledged CON notification is retransmitted, then rejects with LWM2M_ERR_TIMEOUT', async (t) => {
  const { net, clock, server, device } = harness();
  const p = server.notify(device.address, token, { code: '2.05', observe: 3, payload: Buffer.from('1') }, { confirmable: true });
  t.is(await state(p, net), 'pending');
  await advance(net, clock, 100_000, 1000);
  t.is(await state(p, net), 'rejected');
  const err = (await t.throwsAsync(p)) as Lwm2mError;
  t.is(err.code, 'LWM2M_ERR_TIMEOUT');
  const sent = device.take();
  t.is(sent.length, 5, 'the first transmission and MAX_RETRANSMIT = 4 retransmissions');
  t.true(sent.every((m) => m.messageId === sent[0]!.messageId));
});

test('a notification larger than BLOCK_SIZE goes out as its first block with Block2 and Size2 (RFC 7959 §3.4)', async (t) => {
  const { net, server, device } = harness({ BLOCK_SIZE: 16 });
  const body = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
  await state(server.notify(device.address, token, { code: '2.05', observe: 4, contentFormat: 42, payload: body }), net);
  const [m] = device.take();
  const b2 = decodeBlock(uintOf(opt(m!, 'Block2'))!);
  t.deepEqual(b2, { num: 0, more: true, szx: 0 });
  t.is(uintOf(opt(m!, 'Size2')), body.length);
  t.deepEqual(m!.payload, body.subarray(0, 16));
});

test('notify on a closed endpoint rejects with LWM2M_ERR_CANCELLED', async (t) => {
  const { server, device } = harness();
  await server.close();
  const err = (await t.throwsAsync(server.notify(device.address, token, { code: '2.05', observe: 5 }))) as Lwm2mError;
  t.is(err.code, 'LWM2M_ERR_CANCELLED');
});
