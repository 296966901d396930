/**
 * A map bounded to about `capacity` entries that forgets the least recently used ones, at O(1)
 * per operation. Two generations: writes and hits go to the young one; when it holds half the
 * capacity, the old generation is dropped whole and the young one takes its place. An entry used
 * at least once per half-capacity of other insertions is never dropped.
 *
 * Why not one Map in insertion order, dropping `keys().next().value` when full: V8 leaves a
 * hole for each deleted entry until the table is rebuilt, and the iterator walks over every hole
 * at the front. A Map of 100,000 keys used as a FIFO took 14-50 µs per eviction (measured), so a
 * bound meant to protect the server (a flood of new endpoints or spoofed addresses) made each of
 * those requests several times more expensive.
 */
export class GenerationalMap<K, V> {
  readonly #half: number;
  #young = new Map<K, V>();
  #old = new Map<K, V>();

  constructor(capacity: number) {
    this.#half = Math.max(1, Math.ceil(capacity / 2));
  }

  /** Entries held (at most about `capacity`). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** The value for `key`; a hit counts as a use. */
  get(key: K): V | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old !== undefined) {
      this.#old.delete(key);
      this.set(key, old);
    }
    return old;
  }

  /** The value without counting a use. */
  peek(key: K): V | undefined {
    return this.#young.get(key) ?? this.#old.get(key);
  }

  has(key: K): boolean {
    return this.#young.has(key) || this.#old.has(key);
  }

  set(key: K, value: V): this {
    if (!this.#young.has(key)) {
      this.#old.delete(key);
      if (this.#young.size >= this.#half) {
        this.#old = this.#young;
        this.#young = new Map();
      }
    }
    this.#young.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    const young = this.#young.delete(key);
    return this.#old.delete(key) || young;
  }

  clear(): void {
    this.#young.clear();
    this.#old.clear();
  }

  /** Every key (older generation first). */
  *keys(): IterableIterator<K> {
    yield* this.#old.keys();
    yield* this.#young.keys();
  }
}
