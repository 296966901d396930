import test from 'ava';
import { dtls } from 'node-dtls-client';
import { PSKS, startServer } from './helpers/echo-server.js';

// Real peer: node-dtls-client (an independent TypeScript DTLS 1.2 client).
for (const cipher of ['TLS_PSK_WITH_AES_128_CCM_8', 'TLS_PSK_WITH_AES_128_CBC_SHA256'] as const) {
  test(`node-dtls-client ${cipher}: handshake, echo both ways, close`, async (t) => {
    const s = await startServer();
    t.teardown(() => s.server.close());
    const socket = dtls.createSocket({
      type: 'udp4',
      address: '127.0.0.1',
      port: s.port,
      psk: { 'device-2': PSKS['device-2']!.toString('utf8') },
      timeout: 3000,
      ciphers: [cipher],
    });
    const reply = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no echo')), 5000);
      socket.on('connected', () => socket.send(Buffer.from('from node-dtls-client')));
      socket.on('message', (m: Buffer) => {
        clearTimeout(timer);
        resolve(m.toString());
      });
      socket.on('error', (e: Error) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    t.is(reply, 'echo:from node-dtls-client');
    t.deepEqual(s.received[0]?.identity, { kind: 'psk', identity: 'device-2' });
    t.deepEqual(s.suites, [cipher]);
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    // The client's close_notify ends the server session.
    const end = Date.now() + 2000;
    while (s.server.stats().sessions > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    t.is(s.server.stats().sessions, 0);
  });
}
