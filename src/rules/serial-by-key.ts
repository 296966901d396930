/**
 * Runs tasks one after another per key (a device), different keys independently. Keys are
 * forgotten as soon as their last task is done, so memory follows the work in flight.
 */
export class SerialByKey {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #onError: (key: string, e: unknown) => void;

  constructor(onError: (key: string, e: unknown) => void) {
    this.#onError = onError;
  }

  run(key: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const tail = prev.then(fn).catch((e: unknown) => this.#onError(key, e));
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return tail;
  }
}
