import { BatchWriter } from '../store/batch-writer.js';
import { sublevel, type Database, type Sublevel } from '../store/level-db.js';
import { readRange } from '../store/level-json.js';
import { silentLogger, type Logger } from '../log.js';

/**
 * A small keyed set of JSON records held in memory (lookups never touch the disk), optionally
 * written through to a LevelDB sublevel. The quarantine, tag and token stores are built on it:
 * they are small (one entry per quarantined or tagged device, per token) and read on every
 * request, so a full in-memory copy is the right trade.
 */
export interface Collection<T> {
  get(key: string): T | undefined;
  entries(): IterableIterator<[string, T]>;
  readonly size: number;
  /** Resolves once the change is durable (LevelDB) or at once (memory). */
  put(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export class MemoryCollection<T> implements Collection<T> {
  protected readonly map = new Map<string, T>();

  get(key: string): T | undefined {
    return this.map.get(key);
  }

  entries(): IterableIterator<[string, T]> {
    return this.map.entries();
  }

  get size(): number {
    return this.map.size;
  }

  async put(key: string, value: T): Promise<void> {
    this.map.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }

  async close(): Promise<void> {}
}

export class LevelCollection<T> extends MemoryCollection<T> {
  readonly #sub: Sublevel;
  readonly #writer: BatchWriter;

  private constructor(sub: Sublevel, writer: BatchWriter) {
    super();
    this.#sub = sub;
    this.#writer = writer;
  }

  /** Loads every readable entry of sublevel `name`; unreadable ones are logged and skipped. */
  static async open<T>(db: Database, name: string, guard: (v: unknown) => v is T, o: { writer?: BatchWriter; logger?: Logger } = {}): Promise<LevelCollection<T>> {
    const c = new LevelCollection<T>(sublevel(db, name), o.writer ?? new BatchWriter(db));
    for (const { key, value } of await readRange(c.#sub, {}, guard, o.logger ?? silentLogger(), name)) c.map.set(key, value);
    return c;
  }

  override async put(key: string, value: T): Promise<void> {
    this.map.set(key, value);
    await this.#writer.write([{ type: 'put', sublevel: this.#sub, key, value }]);
  }

  override async delete(key: string): Promise<void> {
    if (!this.map.delete(key)) return;
    await this.#writer.write([{ type: 'del', sublevel: this.#sub, key }]);
  }

  override async close(): Promise<void> {
    await this.#writer.flush();
  }
}
