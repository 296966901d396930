import { Lwm2mError } from '../errors.js';
import { BatchWriter } from '../store/batch-writer.js';
import { sublevel, type Database, type Sublevel } from '../store/level-db.js';
import { normalizeSecurityInfo } from './credential-input.js';
import { SecurityIndex } from './security-index.js';
import { fromStored, toStored } from './security-json.js';
import type { SecurityInfo, SecurityStore, SecuritySummary } from './types.js';

/**
 * Credentials in LevelDB (sublevel "sec", key = endpoint, keys as hex), with the in-memory
 * index in front: the handshake's lookups never touch the disk; every change is written
 * through before the promise resolves; `open` loads everything back.
 */
export class LevelSecurityStore implements SecurityStore {
  readonly #sec: Sublevel;
  readonly #writer: BatchWriter;
  readonly #index = new SecurityIndex();

  private constructor(db: Database, writer: BatchWriter) {
    this.#sec = sublevel(db, 'sec');
    this.#writer = writer;
  }

  static async open(db: Database, writer = new BatchWriter(db)): Promise<LevelSecurityStore> {
    const store = new LevelSecurityStore(db, writer);
    for await (const [key, value] of store.#sec.iterator()) {
      const info = fromStored(key, value);
      try {
        store.#index.put(info);
      } catch (e) {
        throw new Lwm2mError('LWM2M_ERR_STORE', `security record for endpoint "${key}" conflicts with another: ${(e as Error).message}`, { cause: e });
      }
    }
    return store;
  }

  get size(): number {
    return this.#index.size;
  }

  async add(info: SecurityInfo): Promise<SecurityInfo | undefined> {
    const next = normalizeSecurityInfo(info);
    const previous = this.#index.put(next);
    try {
      await this.#writer.write([{ type: 'put', sublevel: this.#sec, key: next.endpoint, value: toStored(next) }]);
    } catch (e) {
      this.#rollback(next, previous);
      throw e;
    }
    return previous;
  }

  async remove(endpoint: string): Promise<SecurityInfo | undefined> {
    const gone = this.#index.delete(endpoint);
    if (!gone) return undefined;
    try {
      await this.#writer.write([{ type: 'del', sublevel: this.#sec, key: endpoint }]);
    } catch (e) {
      if (!this.#index.has(endpoint)) this.#index.put(gone);
      throw e;
    }
    return gone;
  }

  async get(endpoint: string): Promise<SecurityInfo | undefined> {
    return this.#index.get(endpoint);
  }

  async list(): Promise<SecuritySummary[]> {
    return this.#index.summaries();
  }

  pskKeyFor(identity: string): Buffer | undefined {
    return this.#index.pskKeyFor(identity);
  }

  endpointForPskIdentity(identity: string): string | undefined {
    return this.#index.endpointForPskIdentity(identity);
  }

  endpointForPublicKey(publicKey: Uint8Array): string | undefined {
    return this.#index.endpointForPublicKey(publicKey);
  }

  hasCredentials(endpoint: string): boolean {
    return this.#index.has(endpoint);
  }

  async close(): Promise<void> {
    await this.#writer.flush();
  }

  /** A failed write must not leave memory ahead of the disk (the index is what authorizes). */
  #rollback(added: SecurityInfo, previous: SecurityInfo | undefined): void {
    const current = this.#index.get(added.endpoint);
    if (!current || JSON.stringify(toStored(current)) !== JSON.stringify(toStored(added))) return;
    this.#index.delete(added.endpoint);
    if (previous) {
      try {
        this.#index.put(previous);
      } catch {
        // Another endpoint took the previous identity meanwhile; it keeps it.
      }
    }
  }
}
