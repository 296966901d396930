/**
 * Measures the heap cost of an idle established session (not a test: run by hand with
 *   node --expose-gc dist-dtls/test/dtls/measure-session-memory.js [count] [cid]
 * ). Sessions are made through the real transport over loopback, each client sends one record
 * (so the server drops its retained final flight, as for any idle device) and then goes away
 * without close_notify, leaving the session idle on the server.
 */
import { PskTestClient } from './helpers/psk-test-client.js';
import { PSKS, startServer } from './helpers/echo-server.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const count = Number(process.argv[2] ?? 1000);
const withCid = process.argv[3] === 'cid';

const s = await startServer({ limits: { maxSessionsPerAddress: 1_000_000 } }, false);
const server = { address: '127.0.0.1', port: s.port };
// One warm-up session so that code and caches are in the baseline.
const warm = await PskTestClient.connect({ server, identity: 'device-1', psk: PSKS['device-1']! });
warm.send(Buffer.from('x'));
await s.nextDatagram();
warm.close();
s.received.length = 0;
s.suites.length = 0;
gc();
gc();
const before = process.memoryUsage();

for (let i = 0; i < count; i++) {
  const c = await PskTestClient.connect({ server, identity: 'device-1', psk: PSKS['device-1']!, ...(withCid ? { cid: Buffer.from('abcd', 'hex') } : {}) });
  const got = s.nextDatagram();
  c.send(Buffer.from('hello'));
  await got;
  c.close();
  // The test server keeps what it received; drop it so only sessions remain.
  s.received.length = 0;
  s.suites.length = 0;
}
await new Promise((r) => setTimeout(r, 200));
gc();
gc();
const after = process.memoryUsage();
const st = s.server.stats();
const n = st.sessions;
const perHeap = (after.heapUsed - before.heapUsed) / n;
const perExt = (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / n;
console.log(`sessions held: ${st.sessions} (cid: ${withCid}), resumption cache entries included`);
console.log(`heapUsed per idle session:          ${perHeap.toFixed(0)} bytes`);
console.log(`external+arrayBuffers per session:  ${perExt.toFixed(0)} bytes`);
console.log(`total per idle session:             ${(perHeap + perExt).toFixed(0)} bytes`);
await s.server.close();
