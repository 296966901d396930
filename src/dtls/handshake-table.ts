/**
 * Handshakes in progress, by peer address and by the connection ID they handed out (the
 * client's Finished may already be a tls12_cid record, RFC 9146 §3). Each carries its overall
 * timeout; removing one cancels its timers.
 */
import type { TimerHandle } from '../clock.js';
import type { PeerAddress } from '../transport/types.js';
import type { ServerHandshake } from './server-handshake.js';

export interface PendingHandshake {
  hs: ServerHandshake;
  peer: PeerAddress;
  timeout: TimerHandle;
}

export class HandshakeTable {
  readonly #byPeer = new Map<string, PendingHandshake>();
  readonly #byCid = new Map<string, PendingHandshake>();
  readonly #perAddress = new Map<string, number>();

  get size(): number {
    return this.#byPeer.size;
  }

  byPeer(key: string): PendingHandshake | undefined {
    return this.#byPeer.get(key);
  }

  byCid(cidHex: string): PendingHandshake | undefined {
    return this.#byCid.get(cidHex);
  }

  /** Handshakes in progress from one IP address (any port). */
  countFor(address: string): number {
    return this.#perAddress.get(address) ?? 0;
  }

  keys(): string[] {
    return [...this.#byPeer.keys()];
  }

  add(key: string, entry: PendingHandshake): void {
    this.#byPeer.set(key, entry);
    this.#perAddress.set(entry.peer.address, this.countFor(entry.peer.address) + 1);
    const cid = entry.hs.ownCid?.toString('hex');
    if (cid) this.#byCid.set(cid, entry);
  }

  /** Removes and cancels; returns whether there was one. */
  remove(key: string): boolean {
    const e = this.#byPeer.get(key);
    if (!e) return false;
    this.#byPeer.delete(key);
    const n = this.countFor(e.peer.address) - 1;
    if (n > 0) this.#perAddress.set(e.peer.address, n);
    else this.#perAddress.delete(e.peer.address);
    const cid = e.hs.ownCid?.toString('hex');
    if (cid) this.#byCid.delete(cid);
    e.timeout.cancel();
    e.hs.cancel();
    return true;
  }
}
