/** A DtlsServerTransport on 127.0.0.1:0 that records what it receives and can echo it. */
import type { InboundDatagram } from '../../../src/transport/types.js';
import { DtlsServerTransport } from '../../../src/dtls/index.js';
import type { DtlsServerOptions } from '../../../src/dtls/options.js';

export const PSKS: Record<string, Buffer> = {
  'device-1': Buffer.from('00112233445566778899aabbccddeeff', 'hex'),
  'device-2': Buffer.from('secret-2', 'utf8'),
};

export interface TestServer {
  server: DtlsServerTransport;
  port: number;
  received: InboundDatagram[];
  /** The cipher suite of the delivering session, per received datagram. */
  suites: string[];
  /** Resolves with the next datagram delivered (or rejects after `ms`). */
  nextDatagram(ms?: number): Promise<InboundDatagram>;
}

export async function startServer(opts: Partial<DtlsServerOptions> = {}, echo = true): Promise<TestServer> {
  const server = await DtlsServerTransport.bind({ host: '127.0.0.1', port: 0, psk: (id) => PSKS[id], ...opts });
  const received: InboundDatagram[] = [];
  const suites: string[] = [];
  const waiters: Array<(d: InboundDatagram) => void> = [];
  server.onDatagram((d) => {
    received.push(d);
    suites.push(server.sessions().find((x) => x.sessionKey === d.sessionKey)?.cipherSuite ?? '');
    waiters.shift()?.(d);
    if (echo) server.send(Buffer.concat([Buffer.from('echo:'), d.data]), d.peer);
  });
  return {
    server,
    port: server.address().port,
    received,
    suites,
    nextDatagram: (ms = 3000) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no datagram delivered')), ms);
        waiters.push((d) => {
          clearTimeout(t);
          resolve(d);
        });
      }),
  };
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
