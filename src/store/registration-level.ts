import { BatchWriter } from './batch-writer.js';
import { sublevel, type Database, type Sublevel } from './level-db.js';
import { IndexedRegistrationStore } from './registration-index.js';
import { forEachStored } from './level-json.js';
import { fromStored, isStoredRegistration, toStored } from './registration-json.js';
import { createLogger, type Logger } from '../log.js';
import type { Registration } from './types.js';

/**
 * Registrations in LevelDB (sublevel "reg", key = registration id), with the in-memory index
 * as read cache: lookups never touch the disk, every change is written through before the
 * promise resolves, and `open` loads everything back after a restart.
 */
export class LevelRegistrationStore extends IndexedRegistrationStore {
  readonly #regs: Sublevel;
  readonly #writer: BatchWriter;

  private constructor(db: Database, writer: BatchWriter) {
    super();
    this.#regs = sublevel(db, 'reg');
    this.#writer = writer;
  }

  static async open(db: Database, writer = new BatchWriter(db), options: { logger?: Logger } = {}): Promise<LevelRegistrationStore> {
    const logger = options.logger ?? createLogger();
    const store = new LevelRegistrationStore(db, writer);
    await forEachStored(store.#regs, {}, isStoredRegistration, logger, 'reg', (_key, value) => void store.index.put(fromStored(value)));
    return store;
  }

  async add(reg: Registration): Promise<Registration | undefined> {
    const previous = this.index.put(reg);
    const ops: Parameters<BatchWriter['write']>[0] = [];
    if (previous && previous.id !== reg.id) ops.push({ type: 'del', sublevel: this.#regs, key: previous.id });
    ops.push({ type: 'put', sublevel: this.#regs, key: reg.id, value: toStored(reg) });
    await this.#writer.write(ops);
    return previous;
  }

  async update(reg: Registration): Promise<Registration | undefined> {
    if (!this.index.getById(reg.id)) return undefined;
    return this.add(reg);
  }

  async remove(id: string): Promise<Registration | undefined> {
    const gone = this.index.delete(id);
    if (gone) await this.#writer.write([{ type: 'del', sublevel: this.#regs, key: id }]);
    return gone;
  }


  async removeExpired(nowMs: number): Promise<Registration[]> {
    const gone = this.index.expired(nowMs);
    if (gone.length === 0) return gone;
    for (const r of gone) this.index.delete(r.id);
    await this.#writer.write(gone.map((r) => ({ type: 'del' as const, sublevel: this.#regs, key: r.id })));
    return gone;
  }

  async close(): Promise<void> {
    await this.#writer.flush();
  }
}
