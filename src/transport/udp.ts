import dgram from 'node:dgram';
import { silentLogger, type Logger } from '../log.js';
import { bindUdp } from './udp-bind.js';
import { TurnSender } from './turn-sender.js';
import type { InboundDatagram, PeerAddress, Transport } from './types.js';

/**
 * Plain CoAP over UDP (RFC 7252 §3): one dgram socket carries both directions. Outgoing
 * datagrams go out together once per turn of the event loop (TurnSender).
 */
export class UdpTransport implements Transport {
  readonly scheme = 'coap' as const;
  readonly #socket: dgram.Socket;
  readonly #log: Logger;
  readonly #sender: TurnSender;
  #handler: ((d: InboundDatagram) => void) | undefined;
  #closed = false;

  private constructor(socket: dgram.Socket, log: Logger) {
    this.#socket = socket;
    this.#log = log;
    this.#sender = new TurnSender(socket, log);
    socket.on('message', (data, rinfo) => {
      const h = this.#handler;
      if (h === undefined) return;
      try {
        h({ data, peer: { address: rinfo.address, port: rinfo.port } });
      } catch (err) {
        this.#log.error({ err }, 'udp: datagram handler threw');
      }
    });
    // ICMP errors (e.g. port unreachable) surface here; a peer going away must not kill the server.
    socket.on('error', (err) => this.#log.warn({ err }, 'udp: socket error'));
  }

  /**
   * Binds udp6 when `host` is an IPv6 address, else udp4. Port 0 picks an ephemeral port.
   * `listener` names it in the error when the address cannot be taken ("CoAP", "bootstrap").
   */
  static async bind(opts: { host: string; port: number; logger?: Logger; recvBufferSize?: number; listener?: string }): Promise<UdpTransport> {
    const type = opts.host.includes(':') ? 'udp6' : 'udp4';
    // udp6 on '::' is dual-stack (IPv4 peers show up as ::ffff:a.b.c.d).
    const socket = dgram.createSocket({ type });
    await bindUdp(socket, opts.listener ?? 'UDP', opts.host, opts.port);
    const log = opts.logger ?? silentLogger();
    try {
      // Bursts of notifications overflow the small default buffer; the kernel caps this at rmem_max.
      socket.setRecvBufferSize(opts.recvBufferSize ?? 4 * 1024 * 1024);
    } catch (err) {
      log.debug({ err }, 'udp: could not enlarge the receive buffer');
    }
    return new UdpTransport(socket, log);
  }

  send(data: Buffer, peer: PeerAddress): void {
    // After close() the sender takes no more.
    this.#sender.send(data, peer);
  }

  onDatagram(handler: (d: InboundDatagram) => void): void {
    this.#handler = handler;
  }

  address(): PeerAddress {
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  /** Closes the socket once the datagrams sent before (a last ACK, a de-registration) are out. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sender.close();
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
