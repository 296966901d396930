/**
 * Message deduplication, RFC 7252 §4.5: a (peer, MID) pair is remembered for EXCHANGE_LIFETIME
 * (CON) or NON_LIFETIME (NON). Only the encoded reply is kept (the piggybacked response, the
 * empty ACK or the RST), so a duplicate CON gets the same bytes again without re-running the
 * handler. One store per lifetime keeps entries in insertion order, so the oldest is always
 * first: expiry and the size bound cost O(1) per insertion and memory stays flat.
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
 * Entries in a Map for lookup plus a ring of (key, entry) in insertion order, so the oldest is
 * found without allocating an iterator. The ring grows by doubling up to `max`.
 */
class ExpiringMap {
  readonly map = new Map<string, DedupEntry>();
  #keys: string[] = new Array<string>(64);
  #entries: (DedupEntry | undefined)[] = new Array<DedupEntry | undefined>(64);
  #head = 0;
  #count = 0;
  constructor(readonly lifetime: number, readonly max: number) {}

  add(key: string, e: DedupEntry, now: number): void {
    this.prune(now);
    if (this.#count >= this.max) this.#evict();
    if (this.#count === this.#keys.length) this.#grow();
    const tail = (this.#head + this.#count) % this.#keys.length;
    this.#keys[tail] = key;
    this.#entries[tail] = e;
    this.#count++;
    this.map.set(key, e);
  }

  prune(now: number): void {
    while (this.#count > 0 && this.#entries[this.#head]!.expires <= now) this.#evict();
  }

  clear(): void {
    this.map.clear();
    this.#entries.fill(undefined);
    this.#head = 0;
    this.#count = 0;
  }

  #evict(): void {
    const h = this.#head;
    const key = this.#keys[h];
    // The key may have been re-added since (an expired entry replaced): only drop this entry.
    if (this.map.get(key) === this.#entries[h]) this.map.delete(key);
    this.#entries[h] = undefined;
    this.#head = (h + 1) % this.#keys.length;
    this.#count--;
  }

  #grow(): void {
    const n = this.#keys.length;
    const size = Math.min(n * 2, Math.max(this.max, n));
    if (size === n) return;
    const keys = new Array<string>(size);
    const entries = new Array<DedupEntry | undefined>(size);
    for (let i = 0; i < this.#count; i++) {
      keys[i] = this.#keys[(this.#head + i) % n];
      entries[i] = this.#entries[(this.#head + i) % n];
    }
    this.#keys = keys;
    this.#entries = entries;
    this.#head = 0;
  }
}

export class DedupCache {
  #con: ExpiringMap;
  #non: ExpiringMap;

  constructor(conLifetime: number, nonLifetime: number, maxEntries: number) {
    this.#con = new ExpiringMap(conLifetime, maxEntries);
    this.#non = new ExpiringMap(nonLifetime, maxEntries);
  }

  get size(): number {
    return this.#con.map.size + this.#non.map.size;
  }

  /** The live entry for a key, if the message was seen before. */
  get(key: string, confirmable: boolean, now: number): DedupEntry | undefined {
    const e = (confirmable ? this.#con : this.#non).map.get(key);
    return e !== undefined && e.expires > now ? e : undefined;
  }

  /** Records a first sighting and returns the entry to attach the reply to later. */
  add(key: string, confirmable: boolean, now: number): DedupEntry {
    const m = confirmable ? this.#con : this.#non;
    const e: DedupEntry = { expires: now + m.lifetime, reply: undefined };
    m.add(key, e, now);
    (confirmable ? this.#non : this.#con).prune(now);
    return e;
  }

  clear(): void {
    this.#con.clear();
    this.#non.clear();
  }
}
