/**
 * Partial block-wise bodies keyed by (peer, method, URI): incoming Block1 uploads being
 * reassembled and large outgoing responses being served block by block. Insertion-ordered with
 * a lifetime and a size bound, like the dedup cache, so abandoned transfers cannot pile up.
 */
export class BlockStore<T> {
  readonly #map = new Map<string, { expires: number; value: T }>();
  constructor(readonly lifetime: number, readonly max: number) {}

  get size(): number {
    return this.#map.size;
  }

  get(key: string, now: number): T | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    if (e.expires <= now) {
      this.#map.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: T, now: number): void {
    this.#map.delete(key);
    this.#map.set(key, { expires: now + this.lifetime, value });
    for (const [k, e] of this.#map) {
      if (e.expires > now && this.#map.size <= this.max) break;
      this.#map.delete(k);
    }
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}

export function resourceKey(pk: string, method: number, path: string[], query: string[]): string {
  return `${pk}|${method}|${path.join('/')}?${query.join('&')}`;
}
