/**
 * `Transport` for coaps: DTLS 1.2 on one UDP socket (ARCHITECTURE.md: one socket per port
 * carries both directions). Inbound application data is delivered with the peer's PSK
 * identity and a session key that survives address changes under RFC 9146.
 */
import dgram from 'node:dgram';
import { bindUdp } from '../transport/udp-bind.js';
import { TurnSender } from '../transport/turn-sender.js';
import type { InboundDatagram, PeerAddress, Transport } from '../transport/types.js';
import { resolveOptions, type DtlsServerOptions } from './options.js';
import { DtlsServerEngine, type DtlsStats } from './server-engine.js';
import type { DtlsSessionInfo } from './session.js';

export class DtlsServerTransport implements Transport {
  readonly scheme = 'coaps' as const;
  readonly #socket: dgram.Socket;
  readonly #engine: DtlsServerEngine;
  readonly #handlers: Array<(d: InboundDatagram) => void> = [];
  /** Records go out together once per turn of the event loop, as plain CoAP's datagrams do. */
  readonly #sender: TurnSender;
  #closed = false;

  private constructor(socket: dgram.Socket, options: DtlsServerOptions) {
    const o = resolveOptions(options);
    this.#socket = socket;
    this.#sender = new TurnSender(socket, o.logger);
    this.#engine = new DtlsServerEngine(
      o,
      (d, peer) => this.#sender.send(d, peer),
      (d) => {
        for (const h of this.#handlers) {
          try {
            h(d);
          } catch (e) {
            o.logger.error({ err: (e as Error).message }, 'dtls datagram handler threw');
          }
        }
      },
    );
    socket.on('message', (msg, rinfo) => this.#engine.receive(msg, { address: rinfo.address, port: rinfo.port }));
    socket.on('error', (e) => o.logger.error({ err: e.message }, 'dtls socket error'));
  }

  static async bind(options: DtlsServerOptions): Promise<DtlsServerTransport> {
    const host = options.host ?? '0.0.0.0';
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    // Validate before binding so a bad configuration does not leave a socket open.
    resolveOptions(options);
    await bindUdp(socket, options.listener ?? 'CoAPs (DTLS)', host, options.port ?? 5684);
    if (options.socketBufferBytes !== undefined) {
      try {
        socket.setRecvBufferSize(options.socketBufferBytes);
        socket.setSendBufferSize(options.socketBufferBytes);
      } catch {
        // Refused by the kernel: the default buffers still work.
      }
    }
    return new DtlsServerTransport(socket, options);
  }

  send(data: Buffer, peer: PeerAddress): void {
    this.#engine.send(data, peer);
  }

  onDatagram(handler: (d: InboundDatagram) => void): void {
    this.#handlers.push(handler);
  }

  address(): PeerAddress {
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  /** Established sessions (no key material). */
  sessions(): DtlsSessionInfo[] {
    return this.#engine.sessions();
  }

  /** Ends the sessions the predicate selects (close_notify sent); returns how many. */
  closeSessions(predicate: (s: DtlsSessionInfo) => boolean): number {
    return this.#engine.closeSessions(predicate);
  }

  stats(): DtlsStats {
    return this.#engine.stats();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // The sessions' close_notify alerts are queued here; they leave before the socket closes
    // (waiting at most 1 s for the socket to report them sent).
    this.#engine.shutdown(true);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      void this.#sender.close().then(() => {
        clearTimeout(t);
        resolve();
      });
    });
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
