import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import type { ObjectStore } from './types.js';

/**
 * Applies the object store's age retention (history older than `historyMaxAgeMs` is dropped)
 * on a timer: once `firstAfterMs` after start, then every `intervalMs` after the previous sweep
 * has finished (sweeps never overlap). Count retention is applied on every write; age
 * retention needs this, as a resource that stops reporting would otherwise keep its history.
 */
export class RetentionSweep {
  readonly #o: { store: ObjectStore; clock: Clock; intervalMs: number; firstAfterMs: number; logger: Logger };
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(o: { store: ObjectStore; clock: Clock; intervalMs: number; firstAfterMs?: number; logger: Logger }) {
    this.#o = { ...o, firstAfterMs: o.firstAfterMs ?? Math.min(60_000, o.intervalMs) };
  }

  start(): void {
    this.#arm(this.#o.firstAfterMs);
  }

  /** One sweep now; resolves with the number of history entries removed. */
  async sweep(): Promise<number> {
    const removed = await this.#o.store.applyRetention(this.#o.clock.now());
    if (removed > 0) this.#o.logger.info({ removed }, 'object store: history past its age limit removed');
    return removed;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#running;
  }

  #arm(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimer(ms, () => {
      this.#running = this.sweep().then(
        () => undefined,
        (err: unknown) => this.#o.logger.warn({ err }, 'object store: retention sweep failed; next one as scheduled'),
      );
      void this.#running.then(() => this.#arm(this.#o.intervalMs));
    });
  }
}
