/** True for a promise or any object with a `then` method (what `await` would wait for). */
export function isThenable<T>(x: unknown): x is PromiseLike<T> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}
