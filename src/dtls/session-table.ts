/**
 * Established sessions indexed by peer address, by our connection ID (RFC 9146) and counted
 * per IP address for the per-address limit.
 */
import { peerKey, type PeerAddress } from '../transport/types.js';
import type { DtlsSession } from './session.js';

export class SessionTable {
  readonly #byPeer = new Map<string, DtlsSession>();
  readonly #byCid = new Map<string, DtlsSession>();
  readonly #perAddress = new Map<string, number>();
  /**
   * Each live session by its own (frozen) peer object, the one delivered with its datagrams:
   * a reply sent to that object finds its session without building and hashing the
   * address:port key again. Holds exactly the sessions in #byPeer, under their current peer.
   */
  readonly #byPeerObject = new WeakMap<PeerAddress, DtlsSession>();

  get size(): number {
    return this.#byPeer.size;
  }

  byPeer(key: string): DtlsSession | undefined {
    return this.#byPeer.get(key);
  }

  /** The session at `peer`'s address: by the object itself when it is a session's own peer. */
  byAddress(peer: PeerAddress): DtlsSession | undefined {
    return this.#byPeerObject.get(peer) ?? this.#byPeer.get(peerKey(peer));
  }

  byCid(cidHex: string): DtlsSession | undefined {
    return this.#byCid.get(cidHex);
  }

  all(): DtlsSession[] {
    return [...this.#byPeer.values()];
  }

  /**
   * Whether one more session fits: `inProgress` (handshakes under way for this address) and
   * `inProgressTotal` (all handshakes) count as sessions already, so a burst of handshakes from
   * one address cannot finish above the limit.
   */
  admits(address: string, perAddress: number, total: number, inProgress = 0, inProgressTotal = 0): boolean {
    return this.#byPeer.size + inProgressTotal < total && (this.#perAddress.get(address) ?? 0) + inProgress < perAddress;
  }

  /** Adds a session, replacing (and returning) whatever session held its address. */
  add(s: DtlsSession): DtlsSession | undefined {
    const old = this.#byPeer.get(s.key);
    if (old) this.remove(old);
    this.#byPeer.set(s.key, s);
    this.#byPeerObject.set(s.peer, s);
    const cid = s.ownCidHex;
    if (cid) this.#byCid.set(cid, s);
    this.#count(s.peer.address, +1);
    return old;
  }

  remove(s: DtlsSession): void {
    if (this.#byPeer.get(s.key) !== s) return;
    // A forgotten session must not keep cipher contexts (or its keys) in the hot set.
    s.releaseCrypto();
    this.#byPeer.delete(s.key);
    this.#byPeerObject.delete(s.peer);
    const cid = s.ownCidHex;
    if (cid && this.#byCid.get(cid) === s) this.#byCid.delete(cid);
    this.#count(s.peer.address, -1);
  }

  /** Re-keys a session to a new address (RFC 9146 §6); a session already there is dropped. */
  move(s: DtlsSession, to: PeerAddress): void {
    this.remove(s);
    s.peer = Object.freeze({ address: to.address, port: to.port });
    s.key = peerKey(to);
    this.add(s);
  }

  #count(address: string, delta: number): void {
    const n = (this.#perAddress.get(address) ?? 0) + delta;
    if (n <= 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, n);
  }
}
