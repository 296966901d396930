import test from 'ava';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { connectDtls, DtlsClientError, TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256, TLS_PSK_WITH_AES_128_CBC_SHA256, TLS_PSK_WITH_AES_128_CCM_8 } from '../../src/dtls/index.js';
import { Lwm2mError } from '../../src/errors.js';
import { PSKS, startServer, delay } from './helpers/echo-server.js';
import { lossyProxy } from './helpers/lossy-proxy.js';
import { hotCcmKeys, MAX_HOT_KEYS } from '../../src/dtls/record-protection.js';
import { hasBinary } from './helpers/run-process.js';

const PSK = PSKS['device-1']!;

async function echoOnce(c: Awaited<ReturnType<typeof connectDtls>>, text: string): Promise<string> {
  const got = new Promise<Buffer>((resolve) => c.onMessage(resolve));
  c.send(Buffer.from(text));
  return (await got).toString();
}

for (const [suite, cid] of [
  [TLS_PSK_WITH_AES_128_CCM_8, false],
  [TLS_PSK_WITH_AES_128_CCM_8, true],
  [TLS_PSK_WITH_AES_128_CBC_SHA256, true],
  [TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256, false],
] as const) {
  test(`the client completes a ${suite.name} handshake${cid ? ' with a connection ID' : ''} with our server and exchanges data`, async (t) => {
    const s = await startServer();
    t.teardown(() => s.server.close());
    const c = await connectDtls({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-1', psk: PSK, suites: [suite], cid });
    t.teardown(() => c.close(false));
    t.is(c.cipherSuite, suite.name);
    t.is(c.connectionId, cid);
    t.is(await echoOnce(c, 'ping'), 'echo:ping');
    t.deepEqual(s.received[0]?.identity, { kind: 'psk', identity: 'device-1' });
    t.is(s.server.sessions()[0]?.connectionId, cid);
  });
}

test.serial('CCM_8 cipher contexts live only while a session does: both ends give theirs back on close_notify', async (t) => {
  const s = await startServer();
  t.teardown(() => s.server.close());
  const base = hotCcmKeys();
  const c = await connectDtls({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-1', psk: PSK });
  t.is(await echoOnce(c, 'x'), 'echo:x');
  // Client read + write keys, server read + write keys.
  t.is(hotCcmKeys(), base + 4);
  t.true(MAX_HOT_KEYS >= 4);
  await c.close();
  await delay(100);
  t.is(s.server.sessions().length, 0);
  t.is(hotCcmKeys(), base);
});

test('close() sends close_notify: the server forgets the session', async (t) => {
  const s = await startServer();
  t.teardown(() => s.server.close());
  const c = await connectDtls({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-1', psk: PSK });
  t.is(s.server.sessions().length, 1);
  await c.close();
  await delay(100);
  t.is(s.server.sessions().length, 0);
  t.true(c.closed);
  t.throws(() => c.send(Buffer.from('x')), { instanceOf: DtlsClientError });
});

test('a close_notify from the server ends the client connection and is reported to onClose', async (t) => {
  const s = await startServer();
  t.teardown(() => s.server.close());
  const c = await connectDtls({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-1', psk: PSK });
  const closed = new Promise<Error | undefined>((resolve) => c.onClose(resolve));
  t.is(s.server.closeSessions(() => true), 1);
  const err = await closed;
  t.true(err instanceof DtlsClientError);
  t.is((err as DtlsClientError).alert, 0);
  t.true(c.closed);
});

test('closing the server transport sends every session its close_notify before the socket closes', async (t) => {
  const s = await startServer();
  const server = { address: '127.0.0.1', port: s.port };
  const clients = await Promise.all(['device-1', 'device-1'].map((identity) => connectDtls({ server, identity, psk: PSK })));
  // Bounded: an alert that never left would leave the clients waiting.
  const closed = clients.map((c) => Promise.race([new Promise<Error | undefined>((resolve) => c.onClose(resolve)), delay(3000).then(() => new Error('no close_notify in 3 s'))]));
  await s.server.close();
  for (const err of await Promise.all(closed)) {
    t.true(err instanceof DtlsClientError);
    t.is((err as DtlsClientError).alert, 0, 'close_notify');
  }
  t.true(clients.every((c) => c.closed));
});

test('an unknown identity is refused with unknown_psk_identity, a wrong key with bad_record_mac: both LWM2M_ERR_UNAUTHORIZED', async (t) => {
  const s = await startServer();
  t.teardown(() => s.server.close());
  const server = { address: '127.0.0.1', port: s.port };
  const e1 = await t.throwsAsync(connectDtls({ server, identity: 'nobody', psk: PSK }), { instanceOf: DtlsClientError });
  t.is(e1?.code, 'LWM2M_ERR_UNAUTHORIZED');
  t.is(e1?.alert, 115);
  const e2 = await t.throwsAsync(connectDtls({ server, identity: 'device-1', psk: Buffer.from('not the key') }), { instanceOf: DtlsClientError });
  t.is(e2?.code, 'LWM2M_ERR_UNAUTHORIZED');
  t.is(e2?.alert, 20);
  t.is(s.server.sessions().length, 0);
});

test('lost flights are retransmitted (RFC 6347 §4.2.4): first ClientHello, the server flight 4 and our flight 5 dropped once', async (t) => {
  const s = await startServer();
  t.teardown(() => s.server.close());
  // To the server: 1 = ClientHello, 2 = ClientHello+cookie, 3 = its resend, 4 = flight 5 ...
  // To the client: 1 = HelloVerifyRequest, 2 = flight 4 ...
  const proxy = await lossyProxy(s.port, { toServer: [1, 4], toClient: [2] });
  t.teardown(() => proxy.close());
  const c = await connectDtls({ server: { address: '127.0.0.1', port: proxy.port }, identity: 'device-1', psk: PSK, retransmitInitialMs: 100, timeoutMs: 5000 });
  t.teardown(() => c.close(false));
  t.deepEqual(proxy.dropped, { toServer: [1, 4], toClient: [2] });
  t.is(await echoOnce(c, 'after loss'), 'echo:after loss');
  t.is(s.server.stats().handshakesOk, 1);
});

test('a server that never answers gives LWM2M_ERR_TIMEOUT after timeoutMs, having retransmitted meanwhile', async (t) => {
  const sink = dgram.createSocket('udp4');
  sink.bind(0, '127.0.0.1');
  await once(sink, 'listening');
  t.teardown(() => sink.close());
  let heard = 0;
  sink.on('message', () => heard++);
  const started = Date.now();
  const e = await t.throwsAsync(connectDtls({ server: { address: '127.0.0.1', port: sink.address().port }, identity: 'device-1', psk: PSK, retransmitInitialMs: 50, timeoutMs: 400 }), {
    instanceOf: DtlsClientError,
  });
  t.is(e?.code, 'LWM2M_ERR_TIMEOUT');
  t.true(Date.now() - started >= 350);
  t.true(heard >= 3, `ClientHello sent ${heard} times (50, 100, 200 ms backoff)`);
});

test('garbage, forged and replayed records from the server address are dropped without ending the session', async (t) => {
  const s = await startServer();
  t.teardown(() => s.server.close());
  // A relay in front of the server: what it sends reaches the client from the "server" address.
  const front = dgram.createSocket('udp4');
  const back = dgram.createSocket('udp4');
  front.bind(0, '127.0.0.1');
  back.bind(0, '127.0.0.1');
  await Promise.all([once(front, 'listening'), once(back, 'listening')]);
  t.teardown(() => {
    front.close();
    back.close();
  });
  let client: dgram.RemoteInfo | undefined;
  const toClient: Buffer[] = [];
  front.on('message', (m, r) => {
    client = r;
    back.send(m, s.port, '127.0.0.1');
  });
  back.on('message', (m) => {
    toClient.push(m);
    front.send(m, client!.port, client!.address);
  });
  const c = await connectDtls({ server: { address: '127.0.0.1', port: front.address().port }, identity: 'device-1', psk: PSK });
  t.teardown(() => c.close(false));
  t.is(await echoOnce(c, 'one'), 'echo:one');
  const echoRecord = toClient[toClient.length - 1]!;
  const before = c.stats().recordsDropped;
  const tampered = Buffer.from(echoRecord);
  tampered[tampered.length - 1]! ^= 1;
  const received: string[] = [];
  c.onMessage((d) => received.push(d.toString()));
  for (const j of [Buffer.from('not dtls'), Buffer.alloc(60, 0x17), tampered, echoRecord]) front.send(j, client!.port, client!.address);
  await delay(100);
  t.deepEqual(received, [], 'neither the forgery nor the replay was delivered');
  t.true(c.stats().recordsDropped >= before + 3);
  t.false(c.closed);
  t.is(await echoOnce(c, 'two'), 'echo:two');
});

test('the client is a Transport: onDatagram reports the server as the peer, send ignores the peer argument', async (t) => {
  const s = await startServer();
  t.teardown(() => s.server.close());
  const c = await connectDtls({ server: { address: '127.0.0.1', port: s.port }, identity: 'device-2', psk: PSKS['device-2']! });
  t.teardown(() => c.close(false));
  t.is(c.scheme, 'coaps');
  const got = new Promise<{ data: Buffer; peer: { address: string; port: number } }>((resolve) => c.onDatagram(resolve));
  c.send(Buffer.from('via transport'), { address: '10.0.0.1', port: 1 });
  const d = await got;
  t.is(d.data.toString(), 'echo:via transport');
  t.deepEqual(d.peer, { address: '127.0.0.1', port: s.port });
  t.true(c.address().port > 0);
});

test('invalid options are LWM2M_ERR_BAD_CONFIG before any socket is opened', async (t) => {
  const server = { address: '127.0.0.1', port: 5684 };
  for (const o of [
    { server, identity: '', psk: PSK },
    { server, identity: 'x', psk: Buffer.alloc(0) },
    { server: { address: '127.0.0.1', port: 0 }, identity: 'x', psk: PSK },
    { server, identity: 'x', psk: PSK, suites: [0xc0ae] },
    { server, identity: 'x', psk: PSK, mtu: 10 },
  ]) {
    const e = await t.throwsAsync(connectDtls(o));
    t.true(e instanceof Lwm2mError && e.code === 'LWM2M_ERR_BAD_CONFIG', JSON.stringify(o.suites ?? o.mtu ?? o.identity));
  }
});

// Real peer: OpenSSL's DTLS 1.2 server. s_server needs a port number, so one is taken from
// the kernel (bound and released just before) rather than fixed.
const maybe = hasBinary('openssl') ? test.serial : test.skip;

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

for (const [cipher, suite] of [
  ['PSK-AES128-CCM8', TLS_PSK_WITH_AES_128_CCM_8],
  ['ECDHE-PSK-AES128-CBC-SHA256', TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256],
] as const) {
  maybe(`openssl s_server ${cipher}: the client handshakes (identity hint in ServerKeyExchange) and data flows both ways`, async (t) => {
    const port = await freeUdpPort();
    const p = spawn('openssl', ['s_server', '-dtls1_2', '-4', '-accept', String(port), '-nocert', '-psk', PSK.toString('hex'), '-psk_hint', 'lwm2m-hint', '-cipher', cipher], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    t.teardown(() => void p.kill('SIGKILL'));
    for (let i = 0; i < 50 && !out.includes('ACCEPT'); i++) await delay(50);
    const c = await connectDtls({ server: { address: '127.0.0.1', port }, identity: 'device-1', psk: PSK, suites: [suite], timeoutMs: 5000 });
    const fromServer = new Promise<Buffer>((resolve) => c.onMessage(resolve));
    c.send(Buffer.from('hello s_server\n'));
    for (let i = 0; i < 50 && !out.includes('hello s_server'); i++) await delay(50);
    t.true(out.includes('hello s_server'), out);
    p.stdin.write('hello client\n');
    t.is((await fromServer).toString(), 'hello client\n');
    t.is(c.cipherSuite, suite.name);
    await c.close();
    for (let i = 0; i < 50 && !out.includes('shutting down SSL'); i++) await delay(50);
    t.true(out.includes('shutting down SSL') || out.includes('DONE'), 'close_notify reached s_server');
  });
}
