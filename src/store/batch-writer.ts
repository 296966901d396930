import type { Database, Sublevel } from './level-db.js';

export type BatchOp =
  /** `valueEncoding: 'utf8'`: `value` is already the JSON text (one stringify for several puts). */
  | { type: 'put'; sublevel: Sublevel; key: string; value: unknown; valueEncoding?: 'utf8' }
  | { type: 'del'; sublevel: Sublevel; key: string };

/**
 * classic-level's native batch, through abstract-level's implementation hooks (`_chainedBatch`,
 * `_put`, `_del`, `_clear`, `_write`): each operation goes to LevelDB's WriteBatch with one call
 * and two strings. The array form (`_batch`) reads `type`, `key` and `value` of every element
 * through N-API property lookups and allocates a copy of each: 1.4-1.6 µs per operation on the
 * main thread against 0.8 µs here (120 operations of the object store's size, micro benchmark).
 */
interface NativeBatch {
  _put(key: string, value: string): void;
  _del(key: string): void;
  _clear(): void;
  _write(options: object): Promise<void>;
}
interface NativeDatabase {
  _chainedBatch(): NativeBatch;
}

/**
 * Appends `ops` to `keys`/`values` as classic-level takes them (the sublevel prefix in the key,
 * the value as JSON text, `null` for a delete), or returns false when one of them needs
 * abstract-level's checks (not a string key, no value). Every sublevel of the server stores
 * JSON (level-db.ts), encoded by abstract-level as `JSON.stringify`; a `utf8` value is already
 * that text. Throws when JSON cannot encode a value.
 */
function encode(ops: BatchOp[], keys: string[], values: (string | null)[]): boolean {
  for (const op of ops) {
    if (typeof op.key !== 'string') return false;
    keys.push(op.sublevel.prefix + op.key);
    if (op.type === 'del') {
      values.push(null);
      continue;
    }
    const value = op.valueEncoding === 'utf8' ? op.value : JSON.stringify(op.value);
    if (typeof value !== 'string') return false;
    values.push(value);
  }
  return true;
}

/**
 * Coalesces writes issued in the same turn of the event loop into one LevelDB batch, so a burst
 * of registrations or notifications costs one write, not one per item. Each `write` resolves
 * when its batch is committed; writes are committed in the order they were issued.
 *
 * The batch goes to classic-level's native batch with the sublevel prefixes and the JSON
 * encoding applied here: abstract-level's `batch` copies every operation with an object spread,
 * resolves its encodings and prefixes its key, 0.6-1.3 µs per operation on the main thread
 * (measured with registration renewal records), for work that is the same for every write of
 * this server (no hooks, no write events, string keys, JSON values). One native batch is reused
 * (cleared after each commit; one batch is in flight at a time). When the database is not open,
 * or an operation is unusual, the public `batch` runs and reports the problem its way.
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
  /** The native batch, reused for every commit while the database stays open. */
  #native: NativeBatch | undefined;
  /** Scratch: the batch being encoded, keys and values (`null`: delete). */
  readonly #keys: string[] = [];
  readonly #values: (string | null)[] = [];

  readonly #onBatch: ((seconds: number) => void) | undefined;

  /** `onBatch` is told how long each LevelDB batch took (store write latency metric). */
  constructor(db: Database, options: { maxOps?: number; onBatch?: (seconds: number) => void } = {}) {
    this.#db = db;
    this.#maxOps = options.maxOps ?? 5000;
    this.#onBatch = options.onBatch;
    // A native batch belongs to the database it was made for: after a close, a reopen gets a new one.
    db.on('closing', () => {
      this.#native = undefined;
    });
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
    const native = this.#nativeBatch();
    const keys = this.#keys;
    const values = this.#values;
    let fast = native !== undefined;
    for (let i = 0; i < group.length && fast; i++) {
      const mark = keys.length;
      try {
        fast = encode(group[i]!.ops, keys, values);
      } catch (e) {
        // A value JSON cannot encode (a BigInt, a cycle): that write fails, the others go on.
        keys.length = mark;
        values.length = mark;
        group.splice(i--, 1)[0]!.reject(e);
      }
    }
    if (group.length === 0) return this.#next();
    this.#busy = true;
    this.#stats.batches++;
    const started = process.hrtime.bigint();
    let written: Promise<void>;
    if (fast && native !== undefined) {
      this.#stats.ops += keys.length;
      written = this.#writeNative(native, keys, values);
    } else {
      // The public batch (abstract-level) only when the fast path cannot take the writes.
      const ops = group.length === 1 ? group[0]!.ops : group.flatMap((g) => g.ops);
      this.#stats.ops += ops.length;
      written = this.#db.batch(ops);
    }
    keys.length = 0;
    values.length = 0;
    written.then(
      () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.#committed(group, undefined);
        this.#onBatch?.(seconds);
      },
      (e: unknown) => this.#committed(group, e ?? new Error('batch failed')),
    );
  }

  /** The native batch when the database is open (made on first use, and again after a reopen). */
  #nativeBatch(): NativeBatch | undefined {
    if (this.#db.status !== 'open') return undefined;
    this.#native ??= (this.#db as unknown as NativeDatabase)._chainedBatch();
    return this.#native;
  }

  #writeNative(native: NativeBatch, keys: string[], values: (string | null)[]): Promise<void> {
    try {
      for (let i = 0; i < keys.length; i++) {
        const value = values[i]!;
        if (value === null) native._del(keys[i]!);
        else native._put(keys[i]!, value);
      }
      return native._write({});
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * A batch is committed (or failed). What was written meanwhile goes out at once, before the
   * writers of this batch resume: their replies and events take the main thread for a while
   * (a few hundred µs for a batch of Registers), and LevelDB should not sit idle meanwhile.
   */
  #committed(group: { resolve: () => void; reject: (e: unknown) => void }[], error: unknown): void {
    this.#native?._clear();
    this.#busy = false;
    this.#next();
    if (error === undefined) for (const g of group) g.resolve();
    else for (const g of group) g.reject(error);
  }
}
