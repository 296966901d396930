/**
 * Runs async read-modify-write sections one after another, so two status changes of the same
 * stored item cannot both read the old version. A failing section does not block later ones.
 */
export class SerialLock {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
