import dgram from 'node:dgram';
import { silentLogger, type Logger } from '../log.js';
import type { InboundDatagram, PeerAddress, Transport } from './types.js';

/** Queued datagrams beyond this many are sent at once rather than at the end of the turn. */
const MAX_QUEUED = 64;

/**
 * Plain CoAP over UDP (RFC 7252 §3): one dgram socket carries both directions.
 *
 * Outgoing datagrams are queued and sent together when the event loop has handled the
 * datagrams it read in this turn (setImmediate runs after the poll phase), or as soon as 64 are
 * queued. A peer waiting on its socket is then woken once per burst instead of once per
 * datagram: on loopback that wake-up is most of what a send costs. The delay is one turn of the
 * loop, far below any CoAP timer (ACK_TIMEOUT is 2 s).
 */
export class UdpTransport implements Transport {
  readonly scheme = 'coap' as const;
  readonly #socket: dgram.Socket;
  readonly #log: Logger;
  #handler: ((d: InboundDatagram) => void) | undefined;
  #closed = false;
  #queue: Buffer[] = [];
  #queuePeers: PeerAddress[] = [];
  #flushScheduled = false;
  readonly #flushSoon = (): void => {
    this.#flushScheduled = false;
    if (!this.#closed) this.#flush();
  };

  private constructor(socket: dgram.Socket, log: Logger) {
    this.#socket = socket;
    this.#log = log;
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

  /** Binds udp6 when `host` is an IPv6 address, else udp4. Port 0 picks an ephemeral port. */
  static async bind(opts: { host: string; port: number; logger?: Logger; recvBufferSize?: number }): Promise<UdpTransport> {
    const type = opts.host.includes(':') ? 'udp6' : 'udp4';
    // udp6 on '::' is dual-stack (IPv4 peers show up as ::ffff:a.b.c.d).
    const socket = dgram.createSocket({ type });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      socket.once('error', onError);
      socket.bind(opts.port, opts.host, () => {
        socket.off('error', onError);
        resolve();
      });
    });
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
    if (this.#closed) return;
    this.#queue.push(data);
    this.#queuePeers.push(peer);
    if (this.#queue.length >= MAX_QUEUED) this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flushSoon);
    }
  }

  /** Sends what is queued; `done` is called after the last datagram (if any: returns whether). */
  #flush(done?: () => void): boolean {
    const q = this.#queue;
    const peers = this.#queuePeers;
    if (q.length === 0) return false;
    this.#queue = [];
    this.#queuePeers = [];
    for (let i = 0; i < q.length; i++) {
      const p = peers[i]!;
      const last = done !== undefined && i === q.length - 1;
      try {
        if (last) this.#socket.send(q[i]!, p.port, p.address, () => done());
        else this.#socket.send(q[i]!, p.port, p.address);
      } catch (err) {
        // A bad address must not stop the datagrams queued behind it.
        this.#log.debug({ err, peer: p }, 'udp: send failed');
        if (last) done();
      }
    }
    return true;
  }

  onDatagram(handler: (d: InboundDatagram) => void): void {
    this.#handler = handler;
  }

  address(): PeerAddress {
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  /** Closes the socket once the datagrams sent before (a last ACK, a de-registration) are out. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => {
      const closeSocket = (): void => void this.#socket.close(() => resolve());
      if (!this.#flush(closeSocket)) closeSocket();
    });
  }
}
