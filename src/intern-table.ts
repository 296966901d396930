/**
 * Shares one value among everything that would otherwise hold an equal copy (a fleet's
 * identical Register payloads, link lists, host addresses): `get(key, make)` returns the value
 * made for `key` the first time. Bounded: at `max` keys the table is emptied and refills with
 * what is current, so a stream of distinct keys cannot grow it.
 */
export class InternTable<T> {
  readonly #map = new Map<string, T>();

  constructor(readonly max = 4096) {}

  get(key: string, make: () => T): T {
    const hit = this.#map.get(key);
    if (hit !== undefined) return hit;
    const value = make();
    if (this.#map.size >= this.max) this.#map.clear();
    this.#map.set(key, value);
    return value;
  }
}
