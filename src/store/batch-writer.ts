import type { Database, Sublevel } from './level-db.js';

export type BatchOp =
  /** `valueEncoding: 'utf8'`: `value` is already the JSON text (one stringify for several puts). */
  | { type: 'put'; sublevel: Sublevel; key: string; value: unknown; valueEncoding?: 'utf8' }
  | { type: 'del'; sublevel: Sublevel; key: string };

/** An operation as the LevelDB implementation takes it: the sublevel prefix in the key, the value encoded. */
type RawOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

/** The implementation's batch (abstract-level's private API, which classic-level provides). */
interface RawBatch {
  _batch(ops: RawOp[], options: object): Promise<void>;
}

/**
 * Appends `ops` to `raw` as classic-level takes them, or returns false when one of them needs
 * abstract-level's checks (not a string key, no value). Every sublevel of the server stores
 * JSON (level-db.ts), encoded by abstract-level as `JSON.stringify`; a `utf8` value is already
 * that text. Throws when JSON cannot encode a value.
 */
function appendRaw(ops: BatchOp[], raw: RawOp[]): boolean {
  for (const op of ops) {
    if (typeof op.key !== 'string') return false;
    const key = op.sublevel.prefix + op.key;
    if (op.type === 'del') {
      raw.push({ type: 'del', key });
      continue;
    }
    const value = op.valueEncoding === 'utf8' ? op.value : JSON.stringify(op.value);
    if (typeof value !== 'string') return false;
    raw.push({ type: 'put', key, value });
  }
  return true;
}

/**
 * Coalesces writes issued in the same turn of the event loop into one LevelDB batch, so a burst
 * of registrations or notifications costs one write, not one per item. Each `write` resolves
 * when its batch is committed; writes are committed in the order they were issued.
 *
 * The batch goes to the implementation's `_batch` with the sublevel prefixes and the JSON
 * encoding applied here: abstract-level's `batch` copies every operation with an object spread,
 * resolves its encodings and prefixes its key, 0.6-1.3 µs per operation on the main thread
 * (measured with registration renewal records), for work that is the same for every write of
 * this server (no hooks, no write events, string keys, JSON values). When the database is not
 * open, or an operation is unusual, the public `batch` runs and reports the problem its way.
 */
export class BatchWriter {
  readonly #db: Database;
  readonly #maxOps: number;
  /** Writes not yet handed to LevelDB, in order; each one's operations go into one batch. */
  #queue: { ops: BatchOp[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #queuedOps = 0;
  #scheduled = false;
  /** A batch is being committed: at most one at a time, so batches commit in write order. */
  #busy = false;
  #stats = { batches: 0, ops: 0 };

  readonly #onBatch: ((seconds: number) => void) | undefined;

  /** `onBatch` is told how long each LevelDB batch took (store write latency metric). */
  constructor(db: Database, options: { maxOps?: number; onBatch?: (seconds: number) => void } = {}) {
    this.#db = db;
    this.#maxOps = options.maxOps ?? 5000;
    this.#onBatch = options.onBatch;
  }

  /** Resolves when `ops` are committed (all in the same LevelDB batch, so atomically). */
  write(ops: BatchOp[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ops, resolve, reject });
      this.#queuedOps += ops.length;
      // While a batch is being committed, writes gather and go out together when it is done
      // (group commit): under load that is one LevelDB batch per commit, not one per write.
      if (this.#busy) return;
      if (this.#queuedOps >= this.#maxOps) this.#next();
      else if (!this.#scheduled) {
        // After a quiet spell: the writes of this turn of the event loop go out together.
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#next();
        });
      }
    });
  }

  /** Resolves once everything written so far is committed. */
  flush(): Promise<void> {
    if (!this.#busy && this.#queue.length === 0) return Promise.resolve();
    const flushed = this.write([]);
    this.#next();
    return flushed;
  }

  get stats(): { batches: number; ops: number } {
    return { ...this.#stats };
  }

  /** Hands the queued writes to LevelDB as one batch, unless a batch is being committed. */
  #next(): void {
    if (this.#busy || this.#queue.length === 0) return;
    // Whole writes, up to maxOps operations (a larger write goes alone).
    let n = 0;
    let count = 0;
    while (n < this.#queue.length && (n === 0 || count + this.#queue[n]!.ops.length <= this.#maxOps)) count += this.#queue[n++]!.ops.length;
    const group = this.#queue.splice(0, n);
    this.#queuedOps -= count;
    if (count === 0) {
      // Only flush() markers: everything before them is committed.
      for (const g of group) g.resolve();
      return this.#next();
    }
    let raw: RawOp[] | undefined = this.#db.status === 'open' ? [] : undefined;
    for (let i = 0; i < group.length && raw !== undefined; i++) {
      const batch = raw;
      const mark = batch.length;
      try {
        if (!appendRaw(group[i]!.ops, batch)) raw = undefined;
      } catch (e) {
        // A value JSON cannot encode (a BigInt, a cycle): that write fails, the others go on.
        batch.length = mark;
        group.splice(i--, 1)[0]!.reject(e);
      }
    }
    if (group.length === 0) return this.#next();
    this.#busy = true;
    this.#stats.batches++;
    const started = process.hrtime.bigint();
    let written: Promise<void>;
    if (raw !== undefined) {
      this.#stats.ops += raw.length;
      written = (this.#db as unknown as RawBatch)._batch(raw, {});
    } else {
      // The public batch (abstract-level) only when the fast path cannot take the writes.
      const ops = group.length === 1 ? group[0]!.ops : group.flatMap((g) => g.ops);
      this.#stats.ops += ops.length;
      written = this.#db.batch(ops);
    }
    written.then(
      () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.#committed(group, undefined);
        this.#onBatch?.(seconds);
      },
      (e: unknown) => this.#committed(group, e ?? new Error('batch failed')),
    );
  }

  /**
   * A batch is committed (or failed). What was written meanwhile goes out at once, before the
   * writers of this batch resume: their replies and events take the main thread for a while
   * (a few hundred µs for a batch of Registers), and LevelDB should not sit idle meanwhile.
   */
  #committed(group: { resolve: () => void; reject: (e: unknown) => void }[], error: unknown): void {
    this.#busy = false;
    this.#next();
    if (error === undefined) for (const g of group) g.resolve();
    else for (const g of group) g.reject(error);
  }
}
