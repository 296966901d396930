/**
 * The DTLS record path of one CoAP round trip, without sockets: what bench/dtls.ts's
 * "requests over DTLS" phase adds over plain UDP, measured in one process so that the
 * machine's other load and the UDP syscalls (the same on both paths) do not drown it.
 *
 *   client seal -> server engine (parse, route, replay check, open, deliver) -> responder ->
 *   server seal (engine.send) -> client parse + open
 *
 * A real handshake (ClientHandshake against DtlsServerEngine, in memory) sets up the keys.
 * Prints CPU µs per round trip for the DTLS path and for the responder alone (the plain-UDP
 * path minus its syscalls), best of `rounds`. Bounded: `rounds` x `count` round trips.
 *
 *   node dist/bench/dtls-record-path.js [count=200000] [rounds=5]
 */
import { fileURLToPath } from 'node:url';
import { generate, parse } from 'coap-packet';
import { ClientHandshake, type ClientHandshakeResult } from '../src/dtls/client-handshake.js';
import { resolveClientOptions } from '../src/dtls/client-options.js';
import { ContentType } from '../src/dtls/constants.js';
import { TLS_PSK_WITH_AES_128_CCM_8 } from '../src/dtls/cipher-suites.js';
import { resolveOptions } from '../src/dtls/options.js';
import { parseRecords } from '../src/dtls/record.js';
import { DtlsServerEngine } from '../src/dtls/server-engine.js';
import type { InboundDatagram, PeerAddress } from '../src/transport/types.js';

const PSK = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const client: PeerAddress = { address: '127.0.0.1', port: 40000 };

/** The bench server's responder (bench/dtls-server.ts): ACK 2.05 echoing the payload. */
function answer(data: Buffer): Buffer | undefined {
  const req = parse(data);
  return req.confirmable ? generate({ messageId: req.messageId, token: req.token, ack: true, code: '2.05', payload: req.payload }) : undefined;
}

function request(i: number): Buffer {
  return generate({ messageId: i & 0xffff, token: Buffer.from([i >> 8, i & 0xff]), confirmable: true, code: 'GET', options: [{ name: 'Uri-Path', value: Buffer.from('3') }], payload: Buffer.from('bench') });
}

interface Pair {
  engine: DtlsServerEngine;
  session: ClientHandshakeResult;
  /** Datagrams the server sent since last taken. */
  toClient: Buffer[];
}

/** A handshake in memory: datagrams are passed on in later microtasks, as a socket would. */
function connect(deliver: { fn: (d: InboundDatagram) => void }): Promise<Pair> {
  const toClient: Buffer[] = [];
  return new Promise<Pair>((resolve, reject) => {
    let hs: ClientHandshake | undefined;
    const engine = new DtlsServerEngine(
      resolveOptions({ psk: () => PSK, connectionIdLength: 0 }),
      (d) => {
        if (hs) queueMicrotask(() => parseRecords(d, 0).forEach((r) => hs?.handleRecord(r)));
        else toClient.push(d);
      },
      (d) => deliver.fn(d),
    );
    const o = resolveClientOptions({ server: { address: '127.0.0.1', port: 5684 }, identity: 'bench', psk: PSK, suites: [TLS_PSK_WITH_AES_128_CCM_8] });
    hs = new ClientHandshake(o, {
      send: (d) => queueMicrotask(() => engine.receive(d, client)),
      complete: (r) => {
        hs = undefined;
        resolve({ engine, session: r, toClient });
      },
      fail: (reason) => reject(new Error(reason)),
    });
    hs.start();
  });
}

function cpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/** CPU µs per DTLS round trip (both ends' record work plus the responder). */
function dtlsRound(p: Pair, deliver: { fn: (d: InboundDatagram) => void }, count: number): number {
  const req = request(7);
  let answered = 0;
  deliver.fn = (d) => {
    const a = answer(d.data);
    if (a) p.engine.send(a, d.peer);
  };
  const t0 = cpuUs();
  for (let i = 0; i < count; i++) {
    p.engine.receive(p.session.writer.record(ContentType.applicationData, 1, req), client);
    for (const d of p.toClient.splice(0)) {
      for (const r of parseRecords(d, 0)) if (p.session.reader.open(r)) answered++;
    }
  }
  const us = (cpuUs() - t0) / count;
  if (answered !== count) throw new Error(`only ${answered} of ${count} answered`);
  return us;
}

/** CPU µs per plain round trip without syscalls: the responder alone. */
function plainRound(count: number): number {
  const req = request(7);
  let n = 0;
  const t0 = cpuUs();
  for (let i = 0; i < count; i++) if (answer(req)) n++;
  const us = (cpuUs() - t0) / count;
  if (n !== count) throw new Error('responder failed');
  return us;
}

export async function run(count = 200_000, rounds = 5, log: (line: string) => void = console.log): Promise<{ dtlsUs: number; plainUs: number }> {
  count = Math.min(Math.max(1000, count), 2_000_000);
  rounds = Math.min(Math.max(1, rounds), 20);
  const deliver = { fn: (_d: InboundDatagram): void => undefined };
  const pair = await connect(deliver);
  dtlsRound(pair, deliver, Math.min(count, 20_000));
  plainRound(Math.min(count, 20_000));
  let best = { dtlsUs: Infinity, plainUs: Infinity };
  for (let r = 0; r < rounds; r++) {
    const d = dtlsRound(pair, deliver, count);
    const p = plainRound(count);
    log(`round ${r + 1}: DTLS path ${d.toFixed(2)} µs, responder alone ${p.toFixed(2)} µs, DTLS record work ${(d - p).toFixed(2)} µs per round trip`);
    best = { dtlsUs: Math.min(best.dtlsUs, d), plainUs: Math.min(best.plainUs, p) };
  }
  log(`best: DTLS path ${best.dtlsUs.toFixed(2)} µs, responder ${best.plainUs.toFixed(2)} µs, record work ${(best.dtlsUs - best.plainUs).toFixed(2)} µs per round trip (both ends)`);
  pair.engine.shutdown(false);
  return best;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run(Number(process.argv[2] ?? 200_000), Number(process.argv[3] ?? 5));
