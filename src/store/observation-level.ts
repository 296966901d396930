import { createLogger, type Logger } from '../log.js';
import { BatchWriter, type BatchOp } from './batch-writer.js';
import { sublevel, type Database, type Sublevel } from './level-db.js';
import { readRange } from './level-json.js';
import { ObservationIndex, isObservationRecord } from './observation-index.js';
import type { ObservationRecord, ObservationStore } from './types.js';

export interface LevelStoreOptions {
  /** Where warnings about unreadable entries go. */
  logger?: Logger;
}

/**
 * Observations in LevelDB (sublevel "obs", key = token), with the in-memory index as read
 * cache: written through before each promise resolves, loaded back by `open`. Unreadable
 * entries are logged and skipped at load, never fatal.
 */
export class LevelObservationStore implements ObservationStore {
  readonly #obs: Sublevel;
  readonly #writer: BatchWriter;
  readonly #index = new ObservationIndex();

  private constructor(db: Database, writer: BatchWriter) {
    this.#obs = sublevel(db, 'obs');
    this.#writer = writer;
  }

  static async open(db: Database, writer = new BatchWriter(db), options: LevelStoreOptions = {}): Promise<LevelObservationStore> {
    const store = new LevelObservationStore(db, writer);
    const logger = options.logger ?? createLogger();
    for (const { key, value } of await readRange(store.#obs, {}, isObservationRecord, logger, 'obs')) {
      // The key is the authority: a record whose token disagrees with its key is not trusted.
      if (value.token === key) store.#index.put(value);
      else logger.warn({ store: 'obs' }, 'observation stored under a different token; skipped');
    }
    return store;
  }

  get size(): number {
    return this.#index.size;
  }

  async add(o: ObservationRecord): Promise<ObservationRecord | undefined> {
    const previous = this.#index.put(o);
    await this.#writer.write([{ type: 'put', sublevel: this.#obs, key: o.token, value: o }]);
    return previous;
  }

  getByToken(token: string): ObservationRecord | undefined {
    return this.#index.get(token);
  }

  listByEndpoint(endpoint: string): ObservationRecord[] {
    return this.#index.byEndpoint(endpoint);
  }

  async list(): Promise<ObservationRecord[]> {
    return this.#index.all();
  }

  values(): Iterable<ObservationRecord> {
    return this.#index.values();
  }

  async remove(token: string): Promise<ObservationRecord | undefined> {
    const gone = this.#index.delete(token);
    if (gone) await this.#writer.write([{ type: 'del', sublevel: this.#obs, key: token }]);
    return gone;
  }

  async removeByEndpoint(endpoint: string): Promise<ObservationRecord[]> {
    const gone = this.#index.byEndpoint(endpoint);
    if (gone.length === 0) return gone;
    for (const o of gone) this.#index.delete(o.token);
    await this.#writer.write(gone.map((o): BatchOp => ({ type: 'del', sublevel: this.#obs, key: o.token })));
    return gone;
  }

  async close(): Promise<void> {
    await this.#writer.flush();
  }
}
