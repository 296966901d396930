import test from 'ava';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from 'coap-packet';
import { silentLogger } from '../../src/log.js';
import { startServer } from '../../src/server.js';
import { loadCapture } from '../helpers/captures.js';
import { seededRandom } from '../helpers/prng.js';
import { coapRequest, locationPath } from '../helpers/coap-peer.js';


const TOTAL = 100_000;

/**
 * Issue "Foundation": 100,000 random and mutated datagrams at a running server, then a real
 * client still registers. A third are random bytes, a third are mutated captured datagrams,
 * a third are well-formed CoAP requests to /rd with random queries and payloads.
 */
test('the server survives 100,000 random and mutated datagrams and still registers a client', async (t) => {
  const seed = Number(process.env.FUZZ_SEED ?? 20261124);
  const rnd = seededRandom(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-fuzz-'));
  const server = await startServer({ dataDir: dir, storage: 'memory', coap: { port: 0 }, dtls: { enabled: false }, http: { enabled: false } }, { logger: silentLogger() });
  const sock = createSocket('udp4');
  t.teardown(async () => {
    sock.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const port = server.coapAddress().port;
  const seeds = ['wakaama-register', 'leshan-register', 'wakaama-blockwise', 'wakaama-observe', 'wakaama-send']
    .flatMap((f) => loadCapture(f))
    .map((d) => Buffer.from(d.hex, 'hex'));
  const texts = ['ep=', 'lt=', 'lwm2m=', 'b=', 'Q', 'sms=', '</>;rt="oma.lwm2m"', '</3/0>', ',', ';', '"', '<', '>', 'ct=', '\u0000', '\uffff', '/65535'];
  const randomText = () => Array.from({ length: int(8) }, () => texts[int(texts.length)]! + (rnd() < 0.5 ? String(int(100000)) : '')).join('');

  const one = (i: number): Buffer => {
    switch (i % 3) {
      case 0: {
        const b = Buffer.alloc(int(300));
        for (let k = 0; k < b.length; k++) b[k] = int(256);
        if (b.length > 0 && rnd() < 0.7) b[0] = 0x40 | (b[0]! & 0x3f); // mostly version 1
        return b;
      }
      case 1: {
        const src = seeds[int(seeds.length)]!;
        const b = Buffer.from(src.subarray(0, rnd() < 0.3 ? int(src.length + 1) : src.length));
        for (let k = int(6); k > 0 && b.length > 0; k--) b[int(b.length)] ^= 1 << int(8);
        if (b.length > 0 && rnd() < 0.2) b[0] = (b[0]! & 0xf0) | int(16); // token length 0..15
        return b;
      }
      default:
        return generate({
          confirmable: rnd() < 0.5,
          code: rnd() < 0.8 ? '0.02' : ['0.01', '0.03', '0.04', '0.05', '0.07'][int(5)]!,
          messageId: int(65536),
          token: Buffer.from([int(256), int(256)]),
          options: [
            { name: 'Uri-Path', value: Buffer.from('rd') },
            ...(rnd() < 0.3 ? [{ name: 'Uri-Path' as const, value: Buffer.from(randomText().slice(0, 20)) }] : []),
            ...Array.from({ length: int(5) }, () => ({ name: 'Uri-Query' as const, value: Buffer.from(randomText().slice(0, 200)) })),
            ...(rnd() < 0.5 ? [{ name: 'Content-Format' as const, value: Buffer.from([rnd() < 0.8 ? 40 : int(256)]) }] : []),
          ],
          payload: Buffer.from(randomText()),
        });
    }
  };

  const started = Date.now();
  let sent = 0;
  while (sent < TOTAL) {
    // Pace on what the server has read, so the kernel does not drop what we send: at most
    // 256 datagrams in flight. Bounded by TOTAL and by a 90 s deadline.
    while (sent - server.coap.stats().datagramsIn < 256 && sent < TOTAL) sock.send(one(sent++), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 1));
    if (Date.now() - started > 90_000) break;
  }
  t.is(sent, TOTAL, 'all datagrams were sent within 90 s');
  await new Promise((r) => setTimeout(r, 200));
  const stats = server.coap.stats();
  t.true(stats.datagramsIn >= TOTAL * 0.99, `the server read the datagrams (${stats.datagramsIn})`);
  t.true(stats.malformed > 0, 'malformed datagrams were counted');

  const res = await coapRequest({ port, method: 'POST', pathname: '/rd', query: 'ep=after-fuzz&lt=60&lwm2m=1.1', payload: '</3/0>', contentFormat: 40 });
  t.is(res.code, '2.01');
  const [rd, id] = locationPath(res);
  t.is(rd, 'rd');
  t.is((await server.registrations.store.getByEndpoint('after-fuzz'))?.id, id);
  t.log(`seed ${seed}: ${stats.datagramsIn} datagrams read, ${stats.malformed} malformed, in ${Date.now() - started} ms`);
});
