import test from 'ava';
import dgram from 'node:dgram';
import { UdpTransport } from '../../src/transport/udp.js';
import type { InboundDatagram } from '../../src/transport/types.js';

test('binds an ephemeral IPv4 port and carries datagrams both ways', async (t) => {
  const tr = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
  t.is(tr.scheme, 'coap');
  const { address, port } = tr.address();
  t.is(address, '127.0.0.1');
  t.true(port > 0);
  const client = dgram.createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
  const got = new Promise<InboundDatagram>((r) => tr.onDatagram(r));
  client.send(Buffer.from('ping'), port, '127.0.0.1');
  const d = await got;
  t.is(d.data.toString(), 'ping');
  t.deepEqual(d.peer, { address: '127.0.0.1', port: client.address().port });
  const back = new Promise<Buffer>((r) => client.once('message', r));
  tr.send(Buffer.from('pong'), d.peer);
  t.is((await back).toString(), 'pong');
  client.close();
  await tr.close();
  await tr.close(); // idempotent
  t.notThrows(() => tr.send(Buffer.from('late'), d.peer));
});

test('binds udp6 for an IPv6 host', async (t) => {
  let tr: UdpTransport;
  try {
    tr = await UdpTransport.bind({ host: '::1', port: 0 });
  } catch {
    t.pass('no IPv6 loopback on this machine');
    return;
  }
  t.is(tr.address().address, '::1');
  const client = dgram.createSocket('udp6');
  await new Promise<void>((r) => client.bind(0, '::1', () => r()));
  const got = new Promise<InboundDatagram>((r) => tr.onDatagram(r));
  client.send(Buffer.from('x'), tr.address().port, '::1');
  t.is((await got).peer.address, '::1');
  client.close();
  await tr.close();
});

test('a handler that throws does not take the socket down', async (t) => {
  const tr = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
  let calls = 0;
  tr.onDatagram(() => {
    calls++;
    if (calls === 1) throw new Error('boom');
  });
  const client = dgram.createSocket('udp4');
  client.send(Buffer.from('a'), tr.address().port, '127.0.0.1');
  client.send(Buffer.from('b'), tr.address().port, '127.0.0.1');
  const deadline = Date.now() + 2000;
  while (calls < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.is(calls, 2);
  client.close();
  await tr.close();
});

test('binding a port in use rejects', async (t) => {
  const a = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
  await t.throwsAsync(UdpTransport.bind({ host: '127.0.0.1', port: a.address().port }));
  await a.close();
});

/** A transport and a plain client socket on loopback, with the client as the transport's peer. */
async function transportAndClient(): Promise<{ tr: UdpTransport; client: dgram.Socket; peer: { address: string; port: number } }> {
  const tr = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
  const client = dgram.createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
  return { tr, client, peer: { address: '127.0.0.1', port: client.address().port } };
}

/** Collects `n` datagrams on `client` (or what arrived within 2 s). */
function collect(client: dgram.Socket, n: number): Promise<string[]> {
  const got: string[] = [];
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(got), 2000);
    client.on('message', (m) => {
      got.push(m.toString());
      if (got.length === n) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

test('datagrams sent in one turn go out in order, past the early flush at 64 queued', async (t) => {
  const { tr, client, peer } = await transportAndClient();
  const arrived = collect(client, 150);
  for (let i = 0; i < 150; i++) tr.send(Buffer.from(String(i)), peer);
  t.deepEqual(await arrived, Array.from({ length: 150 }, (_, i) => String(i)));
  client.close();
  await tr.close();
});

test('what is sent just before close() still goes out', async (t) => {
  const { tr, client, peer } = await transportAndClient();
  const arrived = collect(client, 3);
  tr.send(Buffer.from('a'), peer);
  tr.send(Buffer.from('b'), peer);
  tr.send(Buffer.from('c'), peer);
  await tr.close();
  t.deepEqual(await arrived, ['a', 'b', 'c']);
  client.close();
});

test('a datagram to an unusable port does not stop those queued behind it', async (t) => {
  const { tr, client, peer } = await transportAndClient();
  const arrived = collect(client, 1);
  tr.send(Buffer.from('lost'), { address: '127.0.0.1', port: 70000 });
  tr.send(Buffer.from('kept'), peer);
  t.deepEqual(await arrived, ['kept']);
  client.close();
  await tr.close();
});
