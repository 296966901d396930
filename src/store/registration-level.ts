import { BatchWriter, type BatchOp } from './batch-writer.js';
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
 *
 * Most Updates only renew a registration (LwM2M 1.1 Core §6.2.2: an Update without parameters
 * extends the lifetime), some from a new address (Transport §6.4.2, a NAT rebinding). Those
 * write a small record to sublevel "reg-renewed" (id -> {"u": lastUpdate, "x": expiresAt,
 * "a": host, "p": port}) instead of the whole registration with its object links;
 * `open` applies it over the registration when it is newer. Any other change writes the whole
 * registration, whose lastUpdate then supersedes the renewal record.
 */
export class LevelRegistrationStore extends IndexedRegistrationStore {
  readonly #regs: Sublevel;
  readonly #renewed: Sublevel;
  readonly #writer: BatchWriter;

  private constructor(db: Database, writer: BatchWriter) {
    super();
    this.#regs = sublevel(db, 'reg');
    this.#renewed = sublevel(db, 'reg-renewed');
    this.#writer = writer;
  }

  static async open(db: Database, writer = new BatchWriter(db), options: { logger?: Logger } = {}): Promise<LevelRegistrationStore> {
    const logger = options.logger ?? createLogger();
    const store = new LevelRegistrationStore(db, writer);
    await forEachStored(store.#regs, {}, isStoredRegistration, logger, 'reg', (_key, value) => void store.index.put(fromStored(value)));
    const stale: BatchOp[] = [];
    await forEachStored(store.#renewed, {}, isRenewal, logger, 'reg-renewed', (id, r) => {
      const reg = store.index.getById(id);
      if (reg === undefined) stale.push({ type: 'del', sublevel: store.#renewed, key: id });
      else if (r.u > reg.lastUpdate) store.index.put({ ...reg, lastUpdate: r.u, expiresAt: r.x, address: { address: r.a, port: r.p } });
    });
    if (stale.length > 0) await writer.write(stale);
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
    const current = this.index.getById(reg.id);
    if (!current) return undefined;
    if (!renewsOnly(current, reg)) return this.add(reg);
    const previous = this.index.put(reg);
    const value: Renewal = { u: reg.lastUpdate, x: reg.expiresAt, a: reg.address.address, p: reg.address.port };
    await this.#writer.write([{ type: 'put', sublevel: this.#renewed, key: reg.id, value }]);
    return previous;
  }

  async remove(id: string): Promise<Registration | undefined> {
    const gone = this.index.delete(id);
    if (gone) await this.#writer.write(this.#deletes(id));
    return gone;
  }


  async removeExpired(nowMs: number): Promise<Registration[]> {
    const gone = this.index.expired(nowMs);
    if (gone.length === 0) return gone;
    for (const r of gone) this.index.delete(r.id);
    await this.#writer.write(gone.flatMap((r) => this.#deletes(r.id)));
    return gone;
  }

  async close(): Promise<void> {
    await this.#writer.flush();
  }

  #deletes(id: string): BatchOp[] {
    return [
      { type: 'del', sublevel: this.#regs, key: id },
      { type: 'del', sublevel: this.#renewed, key: id },
    ];
  }
}

/** What an Update that renews changes: lastUpdate, expiresAt, and the address it came from (Transport §6.4.2). */
interface Renewal {
  u: number;
  x: number;
  a: string;
  p: number;
}

function isRenewal(v: unknown): v is Renewal {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Renewal;
  return typeof r.u === 'number' && typeof r.x === 'number' && typeof r.a === 'string' && typeof r.p === 'number';
}

/**
 * Whether `next` differs from `current` only in what a renewal record holds (lastUpdate,
 * expiresAt, address). Field by field over whatever a registration holds, so a field added
 * later is compared too; lists by identity (an Update with a payload brings new ones).
 */
function renewsOnly(current: Registration, next: Registration): boolean {
  const a = current as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  let fields = 0;
  for (const k in b) {
    fields++;
    if (k === 'lastUpdate' || k === 'expiresAt' || k === 'address' || a[k] === b[k]) continue;
    return false;
  }
  for (const _ in a) fields--;
  return fields === 0;
}
