import type dgram from 'node:dgram';
import type { Logger } from '../log.js';
import type { PeerAddress } from './types.js';

/** Queued datagrams beyond this many are sent at once rather than at the end of the turn. */
const MAX_QUEUED = 64;

/**
 * Sends a socket's outgoing datagrams together: queued, then written out when the event loop
 * has handled the datagrams it read in this turn (setImmediate runs after the poll phase), or as
 * soon as 64 are queued. A peer waiting on its socket is then woken once per burst instead of
 * once per datagram: on loopback that wake-up is most of what a send costs. The delay is one
 * turn of the loop, far below any CoAP or DTLS timer (ACK_TIMEOUT 2 s, DTLS flights 1 s).
 * Used by the plain UDP transport and the DTLS server transport.
 */
export class TurnSender {
  readonly #socket: dgram.Socket;
  readonly #log: Logger;
  #queue: Buffer[] = [];
  #peers: PeerAddress[] = [];
  #scheduled = false;
  #closed = false;
  readonly #flushSoon = (): void => {
    this.#scheduled = false;
    if (!this.#closed) this.#flush();
  };

  constructor(socket: dgram.Socket, log: Logger) {
    this.#socket = socket;
    this.#log = log;
  }

  send(data: Buffer, peer: PeerAddress): void {
    if (this.#closed) return;
    this.#queue.push(data);
    this.#peers.push(peer);
    if (this.#queue.length >= MAX_QUEUED) this.#flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushSoon);
    }
  }

  /** Sends what is queued; `done` is called after the last datagram (if any: returns whether). */
  #flush(done?: () => void): boolean {
    const q = this.#queue;
    const peers = this.#peers;
    if (q.length === 0) return false;
    this.#queue = [];
    this.#peers = [];
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

  /** Sends what is queued, then takes no more; resolves once the last datagram has left. */
  close(): Promise<void> {
    this.#closed = true;
    return new Promise((resolve) => {
      if (!this.#flush(resolve)) resolve();
    });
  }
}
