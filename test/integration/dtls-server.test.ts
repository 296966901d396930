import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import { dtls } from 'node-dtls-client';
import type { DeviceJson } from '../../src/http/device-json.js';
import { CLI, cli, run, spawnServer, type RunningServer } from '../helpers/server-process.js';

/**
 * The DTLS issue end to end through `lwm2m serve`: credentials provisioned with the CLI; libcoap
 * (OpenSSL) registers over CoAPs; the same endpoint is refused over plain CoAP and with a wrong
 * key; a device on node-dtls-client registers and answers a Read the server sends over its
 * DTLS session.
 */
const KEY_TEXT = 'lwm2m-psk-secret';
const KEY_HEX = Buffer.from(KEY_TEXT).toString('hex');

async function coapsPort(server: RunningServer): Promise<number> {
  const line = server.logs.find((l) => l.includes('"LwM2M server started"'))!;
  const coaps = (JSON.parse(line) as { coaps: string }).coaps;
  return Number(coaps.slice(coaps.lastIndexOf(':') + 1));
}

test('PSK devices register over CoAPs only, with the credentials bound to their endpoint', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-dtls-'));
  const server = await spawnServer(dir);
  t.teardown(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const env = { LWM2M_URL: server.httpUrl, LWM2M_DATA: dir };
  const port = await coapsPort(server);
  let res = await cli(['security', 'add', 'secure-ep', '--psk-identity', 'secure-id', '--psk-key', KEY_HEX], env);
  t.is(res.code, 0, res.stderr);
  res = await cli(['security', 'list'], env);
  t.regex(res.stdout, /secure-ep\s+psk\s+secure-id/);
  t.false(res.stdout.includes(KEY_HEX), 'the key is never listed');

  const reg = await run('coap-client-openssl', ['-m', 'post', '-t', '40', '-e', '</3/0>', '-u', 'secure-id', '-k', KEY_TEXT, '-B', '5', `coaps://127.0.0.1:${port}/rd?ep=secure-ep&lt=300`]);
  t.is(reg.code, 0, reg.stderr);
  res = await cli(['device', 'secure-ep', '--json'], env);
  t.is(res.code, 0, res.stderr);
  t.is((JSON.parse(res.stdout) as DeviceJson).transport, 'coaps');

  // The same endpoint over plain CoAP: 4.03 (libcoap prints the code on stderr/stdout).
  const plain = await run('coap-client-notls', ['-m', 'post', '-t', '40', '-e', '</3/0>', '-B', '5', '-v', '6', `coap://127.0.0.1:${server.coapPort}/rd?ep=secure-ep&lt=300`]);
  t.regex(plain.stdout + plain.stderr, /4\.03/);
  // Another endpoint name with these credentials: 4.03.
  const other = await run('coap-client-openssl', ['-m', 'post', '-t', '40', '-e', '</3/0>', '-u', 'secure-id', '-k', KEY_TEXT, '-B', '5', '-v', '6', `coaps://127.0.0.1:${port}/rd?ep=someone-else&lt=300`]);
  t.regex(other.stdout + other.stderr, /4\.03/);
  // A wrong key: no session, so no registration.
  await run('coap-client-openssl', ['-m', 'post', '-t', '40', '-e', '</3/0>', '-u', 'secure-id', '-k', 'wrong-key-000000', '-B', '3', `coaps://127.0.0.1:${port}/rd?ep=secure-ep-2&lt=300`]);
  res = await cli(['devices', '--json'], env);
  t.deepEqual((JSON.parse(res.stdout) as DeviceJson[]).map((d) => d.endpoint), ['secure-ep']);
});

test('the server reads a resource from a device over its DTLS session', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-dtls-'));
  const server = await spawnServer(dir);
  const env = { LWM2M_URL: server.httpUrl, LWM2M_DATA: dir };
  const port = await coapsPort(server);
  t.is((await cli(['security', 'add', 'dtls-dev', '--psk-identity', 'dtls-dev-id', '--psk-key', KEY_HEX], env)).code, 0);

  const socket = dtls.createSocket({ type: 'udp4', address: '127.0.0.1', port, psk: { 'dtls-dev-id': KEY_TEXT }, timeout: 3000, ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'] });
  t.teardown(async () => {
    socket.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const packets: ParsedPacket[] = [];
  let waiter: (() => void) | undefined;
  socket.on('message', (m: Buffer) => {
    const p = parse(m);
    // The device answers the server's GET /3/0/0 in text.
    if (p.code === '0.01') socket.send(generate({ messageId: p.messageId, token: p.token, code: '2.05', ack: true, options: [{ name: 'Content-Format', value: Buffer.from([0]) }], payload: Buffer.from('DTLS Devices Inc.') }));
    packets.push(p);
    waiter?.();
  });
  await new Promise<void>((resolve, reject) => {
    socket.on('connected', () => resolve());
    socket.on('error', reject);
  });
  const next = (pred: (p: ParsedPacket) => boolean) =>
    new Promise<ParsedPacket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('nothing arrived in 5 s')), 5000);
      const check = () => {
        const p = packets.find(pred);
        if (p) {
          clearTimeout(timer);
          resolve(p);
        }
      };
      waiter = check;
      check();
    });
  socket.send(
    generate({
      confirmable: true,
      messageId: 100,
      token: Buffer.from([1, 2, 3, 4]),
      code: '0.02',
      options: [
        { name: 'Uri-Path', value: Buffer.from('rd') },
        { name: 'Content-Format', value: Buffer.from([40]) },
        { name: 'Uri-Query', value: Buffer.from('ep=dtls-dev') },
        { name: 'Uri-Query', value: Buffer.from('lt=300') },
      ],
      payload: Buffer.from('</3/0>'),
    }),
  );
  const created = await next((p) => p.code === '2.01');
  t.is(created.code, '2.01');

  const read = await cli(['read', 'dtls-dev', '/3/0/0', '--json'], env);
  t.is(read.code, 0, read.stderr);
  t.deepEqual((JSON.parse(read.stdout) as { values: unknown }).values, [{ path: '/3/0/0', value: { type: 'string', value: 'DTLS Devices Inc.' } }]);
  t.truthy(packets.find((p) => p.code === '0.01'), 'the GET came through the DTLS session');
});

test('--dtls-sessions-per-address admits that many DTLS sessions from one address, and no more', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-dtls-'));
  const server = await spawnServer(dir, ['--dtls-sessions-per-address', '2']);
  const sockets: dtls.Socket[] = [];
  t.teardown(async () => {
    for (const s of sockets) {
      try {
        s.close();
      } catch {
        // The refused one is closed already (node-dtls-client throws on a second close).
      }
    }
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const env = { LWM2M_URL: server.httpUrl, LWM2M_DATA: dir };
  const port = await coapsPort(server);
  for (const i of [1, 2, 3]) t.is((await cli(['security', 'add', `nat-${i}`, '--psk-identity', `nat-${i}-id`, '--psk-key', KEY_HEX], env)).code, 0);
  // Kept open: each is a session the server holds for 127.0.0.1.
  const connect = (i: number) =>
    new Promise<'connected' | 'refused'>((resolve) => {
      const s = dtls.createSocket({ type: 'udp4', address: '127.0.0.1', port, psk: { [`nat-${i}-id`]: KEY_TEXT }, timeout: 2500, ciphers: ['TLS_PSK_WITH_AES_128_CCM_8'] });
      sockets.push(s);
      s.on('connected', () => resolve('connected'));
      s.on('error', () => resolve('refused'));
    });
  t.is(await connect(1), 'connected');
  t.is(await connect(2), 'connected');
  t.is(await connect(3), 'refused', 'a third session from the same address is not admitted');
  const bad = await run(process.execPath, [CLI, 'serve', '--data', dir, '--dtls-sessions-per-address', '0']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /dtls-sessions-per-address/);
});
