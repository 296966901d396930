import test from 'ava';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import coap from 'coap';
import { CoapEndpoint } from '../../src/coap/endpoint.js';
import type { IncomingRequest } from '../../src/coap/types.js';
import { UdpTransport } from '../../src/transport/udp.js';

const LIBCOAP = '/usr/bin/coap-client-notls';

async function serverEndpoint() {
  const transport = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
  const ep = new CoapEndpoint({ transport });
  const seen: IncomingRequest[] = [];
  ep.onRequest((req) => {
    seen.push(req);
    const text = `${req.method} /${req.path.join('/')} ?${req.query.join('&')} ${req.payload.length}B`;
    const payload = req.path[0] === 'big' ? Buffer.from(text.padEnd(3000, '.')) : Buffer.from(text);
    return { code: req.method === 'POST' ? '2.01' : '2.05', contentFormat: 0, payload, locationPath: req.method === 'POST' ? ['rd', 'x1'] : undefined };
  });
  return { ep, seen, port: transport.address().port };
}

function libcoap(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(LIBCOAP, args, { timeout: 15_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout))),
  );
}

const haveLibcoap = existsSync(LIBCOAP);
const libcoapTest = haveLibcoap ? test.serial : test.skip;

libcoapTest('libcoap coap-client: a Block1 POST in 64-byte blocks arrives whole, once', async (t) => {
  const { ep, seen, port } = await serverEndpoint();
  const payload = 'x'.repeat(300);
  const out = await libcoap(['-m', 'post', '-b', '64', '-e', payload, `coap://127.0.0.1:${port}/rd?ep=libcoap&lt=60`]);
  t.is(out.trim(), 'POST /rd ?ep=libcoap&lt=60 300B');
  t.is(seen.length, 1);
  t.is(seen[0].payload.toString(), payload);
  t.is(ep.stats().requestsIn, 5, '300 bytes in 64-byte blocks');
  await ep.close();
});

libcoapTest('libcoap coap-client: a 3000-byte response is read block-wise with -b 64 and without', async (t) => {
  const { ep, seen, port } = await serverEndpoint();
  const small = await libcoap(['-m', 'get', '-b', '64', `coap://127.0.0.1:${port}/big`]);
  t.is(small.trim().length, 3000);
  t.true(small.startsWith('GET /big'));
  const dflt = await libcoap(['-m', 'get', `coap://127.0.0.1:${port}/big/2`]);
  t.is(dflt.trim().length, 3000);
  t.is(seen.length, 2, 'the handler ran once per read; later blocks came from the kept body');
  t.is(ep.stats().malformed, 0);
  await ep.close();
});

libcoapTest('libcoap coap-client: PUT and DELETE with piggybacked responses', async (t) => {
  const { ep, port } = await serverEndpoint();
  t.is((await libcoap(['-m', 'put', '-e', 'abc', `coap://127.0.0.1:${port}/3/0/14`])).trim(), 'PUT /3/0/14 ? 3B');
  t.is((await libcoap(['-m', 'delete', `coap://127.0.0.1:${port}/rd/x1`])).trim(), 'DELETE /rd/x1 ? 0B');
  await ep.close();
});

function nodeCoap(agent: coap.Agent, port: number, opts: Partial<coap.CoapRequestParams>, payload?: Buffer): Promise<{ code: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = coap.request({ hostname: '127.0.0.1', port, agent, ...opts });
    req.on('response', (res: coap.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ code: res.code, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

test.serial('node-coap client: POST with query, and a Block2 GET of 3000 bytes', async (t) => {
  const { ep, port } = await serverEndpoint();
  const agent = new coap.Agent({ type: 'udp4' });
  const reg = await nodeCoap(agent, port, { pathname: '/rd', method: 'POST', query: 'ep=nc&lt=60' }, Buffer.alloc(900, 'a'));
  t.is(reg.code, '2.01');
  t.is(reg.body, 'POST /rd ?ep=nc&lt=60 900B');
  const big = await nodeCoap(agent, port, { pathname: '/big', method: 'GET' });
  t.is(big.code, '2.05');
  t.is(big.body.length, 3000);
  agent.close();
  await ep.close();
});

/** A node-coap server playing the device: reads, Block1 uploads, Block2 downloads, observe. */
async function nodeCoapDevice() {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const srv = coap.createServer({ type: 'udp4' });
  srv.on('request', (req: coap.IncomingMessage, res: coap.OutgoingMessage) => {
    if (req.headers.Observe === 0) {
      let n = 0;
      res.write('v0');
      const iv = setInterval(() => {
        n++;
        res.write(`v${n}`);
        if (n === 3) clearInterval(iv);
      }, 20);
      res.on('finish', () => clearInterval(iv));
      return;
    }
    if (req.url.startsWith('/big')) return res.end(Buffer.alloc(2500, 'b'));
    res.end(`got ${req.payload.length}`);
  });
  srv.listen(sock);
  return { srv, sock, peer: { address: '127.0.0.1', port: sock.address().port } };
}

test.serial('node-coap server as the device: Block2 read, Block1 write and observe notifications', async (t) => {
  const transport = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
  const ep = new CoapEndpoint({ transport });
  const { srv, sock, peer } = await nodeCoapDevice();
  const read = await ep.request(peer, { method: 'GET', path: ['big'] });
  t.is(read.payload.length, 2500);
  const write = await ep.request(peer, { method: 'PUT', path: ['up'], payload: Buffer.alloc(3000, 'c') });
  t.is(write.payload.toString(), 'got 3000');
  const notes: string[] = [];
  const obs = await ep.observe(peer, { method: 'GET', path: ['obs'] }, (n) => notes.push(n.payload.toString()));
  t.is(obs.response.payload.toString(), 'v0');
  const deadline = Date.now() + 3000;
  while (notes.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(notes, ['v1', 'v2', 'v3']);
  await obs.cancel('passive');
  srv.close();
  sock.close(); // node-coap leaves a socket it was given open
  await ep.close();
});
