/**
 * Exclusive sections per key (an endpoint of the object store): while a section holds a key,
 * later sections on that key wait, and `held` tells writers to wait too. Used for the rare
 * read-modify-write work on a device's history (re-sorting a ring, retention, removal), so the
 * common write path only pays a Map size check.
 */
export class KeyedLock {
  readonly #held = new Map<string, Promise<void>>();

  get size(): number {
    return this.#held.size;
  }

  /** A section holding one of these keys now, if any (wait for it, then look again). */
  held(keys: Iterable<string>): Promise<void> | undefined {
    if (this.#held.size === 0) return undefined;
    for (const k of keys) {
      const p = this.#held.get(k);
      if (p) return p;
    }
    return undefined;
  }

  /** Runs `fn` once no earlier section holds any of `keys`, holding them until it settles. */
  run<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const before = [...new Set(keys)].map((k) => this.#held.get(k)).filter((p): p is Promise<void> => p !== undefined);
    const result = (async () => {
      await Promise.all(before);
      return fn();
    })();
    const done = result.then(
      () => undefined,
      () => undefined,
    );
    for (const k of keys) this.#held.set(k, done);
    void done.then(() => {
      for (const k of keys) if (this.#held.get(k) === done) this.#held.delete(k);
    });
    return result;
  }

  /** Resolves when no section is running. */
  async idle(): Promise<void> {
    while (this.#held.size > 0) await Promise.all([...this.#held.values()]);
  }
}
