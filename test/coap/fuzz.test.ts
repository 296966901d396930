import test from 'ava';
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { CoapEndpoint } from '../../src/coap/endpoint.js';
import { UdpTransport } from '../../src/transport/udp.js';
import { loadCapture } from '../helpers/captures.js';
import { fixturesDir } from '../helpers/paths.js';
import { seededRandom } from './helpers/fake-network.js';

const TOTAL = 100_000;
const BATCH = 200;

/** Real captured datagrams, mutated: bit flips, truncation, token length nibbles, option garbage. */
function mutator(seeds: Buffer[], rnd: () => number) {
  const int = (n: number) => Math.floor(rnd() * n);
  return (): Buffer => {
    const kind = int(6);
    if (kind === 0) return Buffer.from(Array.from({ length: int(64) }, () => int(256)));
    const b = Buffer.from(seeds[int(seeds.length)]);
    switch (kind) {
      case 1: // bit flips
        for (let i = 0, n = 1 + int(4); i < n && b.length > 0; i++) b[int(b.length)] ^= 1 << int(8);
        return b;
      case 2: // truncation
        return b.subarray(0, int(b.length + 1));
      case 3: // random token length nibble (including 9..15)
        if (b.length > 0) b[0] = (b[0] & 0xf0) | int(16);
        return b;
      case 4: {
        // option garbage after the token
        const at = Math.min(b.length, 4 + (b[0] & 0x0f));
        const junk = Buffer.from(Array.from({ length: 1 + int(12) }, () => int(256)));
        return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
      }
      default: // keep the header valid (version 1) but randomize type and code
        if (b.length >= 2) {
          b[0] = 0x40 | (int(4) << 4) | (b[0] & 0x0f);
          b[1] = int(256);
        }
        return b;
    }
  };
}

test('100,000 random and mutated datagrams do not crash the endpoint, which still answers afterwards', async (t) => {
  const seeds = readdirSync(path.join(fixturesDir, 'captures'))
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => loadCapture(f).map((d) => Buffer.from(d.hex, 'hex')));
  const transport = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
  const ep = new CoapEndpoint({ transport, params: { MAX_DEDUP_ENTRIES: 10_000 } });
  let handled = 0;
  ep.onRequest((req) => (handled++, { code: '2.05', payload: Buffer.from(req.path.join('/')) }));
  ep.onOrphanNotification(() => false);
  const addr = transport.address();

  const fuzzer = dgram.createSocket('udp4');
  await new Promise<void>((r) => fuzzer.bind(0, '127.0.0.1', () => r()));
  let replies = 0;
  fuzzer.on('message', () => replies++);
  const next = mutator(seeds, seededRandom(2026));
  const started = Date.now();
  let sent = 0;
  while (sent < TOTAL && Date.now() - started < 40_000) {
    for (let i = 0; i < BATCH; i++) fuzzer.send(next(), addr.port, addr.address);
    sent += BATCH;
    // Flow control: let the endpoint (same process) drain the socket before the next batch,
    // otherwise the kernel drops what overflows the receive buffer.
    const waitUntil = Date.now() + 50;
    while (ep.stats().datagramsIn < sent - BATCH / 2 && Date.now() < waitUntil) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 200));
  const s = ep.stats();
  t.log(`sent ${sent}, in ${s.datagramsIn} (malformed ${s.malformed}, duplicates ${s.duplicates}), handler ${handled}, replies ${replies}, ${Date.now() - started} ms`);
  t.true(sent >= TOTAL / 2 && s.datagramsIn > sent / 2, 'most datagrams reached the endpoint');
  t.true(s.malformed > 0);
  t.is(s.internalErrors, 0, 'no datagram hit an unexpected exception');
  t.true(s.dedupEntries <= 20_000);

  // still alive: a valid request (from a fresh socket, so no dedup entry can interfere) gets its answer
  const probe = dgram.createSocket('udp4');
  const answer = new Promise<Buffer>((resolve) => probe.once('message', resolve));
  probe.send(Buffer.from([0x40, 0x01, 0xbe, 0xef, 0xb2, 0x6f, 0x6b]), addr.port, addr.address); // CON GET /ok
  const a = await answer;
  t.is(a[1], 0x45, '2.05');
  t.is(a.readUInt16BE(2), 0xbeef);
  t.is(a.subarray(a.indexOf(0xff) + 1).toString(), 'ok');
  probe.close();
  fuzzer.close();
  await ep.close();
});
