/**
 * Message deduplication, RFC 7252 §4.5: a (peer, MID) pair is remembered for EXCHANGE_LIFETIME
 * (CON) or NON_LIFETIME (NON). Only the encoded reply is kept (the piggybacked response, the
 * empty ACK or the RST), so a duplicate CON gets the same bytes again without re-running the
 * handler.
 *
 * MIDs are filed per peer (a small table keyed by the MID number) rather than in one map keyed by
 * "peer#mid" strings: a lookup then builds no string and probes a table of that peer's recent
 * messages, not one of every peer's. One ring per lifetime keeps the entries in insertion order,
 * so the oldest is always first: expiry and the size bound (shared by all peers) cost O(1) per
 * insertion, and memory stays flat.
 */
export interface DedupEntry {
  expires: number;
  /**
   * The encoded reply as a latin1 string (one byte per char): undefined while the request is
   * still being handled (a duplicate is then ignored). A string, not a Buffer: entries live for
   * EXCHANGE_LIFETIME (247 s), one per request, and a small Buffer costs ~200 bytes of heap
   * (object, ArrayBuffer, backing store) against ~40 for the string.
   */
  reply: string | undefined;
}

/**
 * One peer's MIDs of one lifetime. The first is held in fields and a map is made only for more:
 * most devices send one CON in EXCHANGE_LIFETIME (a registration update), and a map costs
 * ~130 bytes of heap per peer.
 */
class MidTable {
  mid = -1;
  entry: DedupEntry | undefined;
  more: Map<number, DedupEntry> | undefined;

  get(mid: number): DedupEntry | undefined {
    return this.mid === mid ? this.entry : this.more?.get(mid);
  }

  set(mid: number, e: DedupEntry): void {
    if (this.entry === undefined || this.mid === mid) {
      this.mid = mid;
      this.entry = e;
    } else (this.more ??= new Map()).set(mid, e);
  }

  /** Drops `e` if it is still what `mid` maps to. */
  drop(mid: number, e: DedupEntry): void {
    if (this.mid === mid && this.entry === e) {
      this.mid = -1;
      this.entry = undefined;
    } else if (this.more !== undefined && this.more.get(mid) === e) this.more.delete(mid);
  }
}

/** One peer's remembered MIDs; `filed` counts its entries in the rings (live or replaced). */
class PeerMids {
  con: MidTable | undefined;
  non: MidTable | undefined;
  filed = 0;
  constructor(readonly key: string) {}
}

/**
 * The entries of one lifetime in insertion order: parallel arrays used as a ring, so the oldest
 * is found without allocating an iterator. The ring grows by doubling up to `max`.
 */
class Ring {
  #peers: (PeerMids | undefined)[] = new Array<PeerMids | undefined>(64);
  #mids: number[] = new Array<number>(64).fill(0);
  #entries: (DedupEntry | undefined)[] = new Array<DedupEntry | undefined>(64);
  #head = 0;
  count = 0;
  constructor(
    readonly lifetime: number,
    readonly max: number,
    readonly confirmable: boolean,
    readonly onEmpty: (p: PeerMids) => void,
  ) {}

  /** Files an entry (the caller pruned expired ones first). */
  push(p: PeerMids, mid: number, e: DedupEntry): void {
    if (this.count >= this.max) this.#evict();
    if (this.count === this.#peers.length) this.#grow();
    const tail = (this.#head + this.count) % this.#peers.length;
    this.#peers[tail] = p;
    this.#mids[tail] = mid;
    this.#entries[tail] = e;
    this.count++;
  }

  prune(now: number): void {
    while (this.count > 0 && this.#entries[this.#head]!.expires <= now) this.#evict();
  }

  clear(): void {
    this.#peers.fill(undefined);
    this.#entries.fill(undefined);
    this.#head = 0;
    this.count = 0;
  }

  #evict(): void {
    const h = this.#head;
    const p = this.#peers[h]!;
    // The MID may have been filed again since (an expired entry replaced): only drop this entry.
    (this.confirmable ? p.con : p.non)?.drop(this.#mids[h]!, this.#entries[h]!);
    if (--p.filed === 0) this.onEmpty(p);
    this.#peers[h] = undefined;
    this.#entries[h] = undefined;
    this.#head = (h + 1) % this.#peers.length;
    this.count--;
  }

  #grow(): void {
    const n = this.#peers.length;
    const size = Math.min(n * 2, Math.max(this.max, n));
    if (size === n) return;
    const peers = new Array<PeerMids | undefined>(size);
    const mids = new Array<number>(size).fill(0);
    const entries = new Array<DedupEntry | undefined>(size);
    for (let i = 0; i < this.count; i++) {
      const from = (this.#head + i) % n;
      peers[i] = this.#peers[from];
      mids[i] = this.#mids[from]!;
      entries[i] = this.#entries[from];
    }
    this.#peers = peers;
    this.#mids = mids;
    this.#entries = entries;
    this.#head = 0;
  }
}

export class DedupCache {
  readonly #peers = new Map<string, PeerMids>();
  readonly #con: Ring;
  readonly #non: Ring;

  /** `maxEntries` bounds each lifetime's entries, over all peers. */
  constructor(conLifetime: number, nonLifetime: number, maxEntries: number) {
    const forget = (p: PeerMids): void => {
      if (this.#peers.get(p.key) === p) this.#peers.delete(p.key);
    };
    this.#con = new Ring(conLifetime, maxEntries, true, forget);
    this.#non = new Ring(nonLifetime, maxEntries, false, forget);
  }

  /** Entries remembered (expired ones go at the next insertion). */
  get size(): number {
    return this.#con.count + this.#non.count;
  }

  /** Peers with entries. */
  get peers(): number {
    return this.#peers.size;
  }

  /** The live entry for (peer, MID), if the message was seen before. */
  get(peerKey: string, mid: number, confirmable: boolean, now: number): DedupEntry | undefined {
    const p = this.#peers.get(peerKey);
    if (p === undefined) return undefined;
    const e = (confirmable ? p.con : p.non)?.get(mid);
    return e !== undefined && e.expires > now ? e : undefined;
  }

  /** Records a first sighting and returns the entry to attach the reply to later. */
  add(peerKey: string, mid: number, confirmable: boolean, now: number): DedupEntry {
    const ring = confirmable ? this.#con : this.#non;
    const e: DedupEntry = { expires: now + ring.lifetime, reply: undefined };
    // Expired entries go first, so the peer found below is not one about to be forgotten.
    ring.prune(now);
    (confirmable ? this.#non : this.#con).prune(now);
    let p = this.#peers.get(peerKey);
    if (p === undefined) {
      p = new PeerMids(peerKey);
      this.#peers.set(peerKey, p);
    }
    // Filed before the ring may evict (at its bound), so the peer is not forgotten meanwhile.
    p.filed++;
    if (confirmable) (p.con ??= new MidTable()).set(mid, e);
    else (p.non ??= new MidTable()).set(mid, e);
    ring.push(p, mid, e);
    return e;
  }

  clear(): void {
    this.#peers.clear();
    this.#con.clear();
    this.#non.clear();
  }
}
