import type { BatchWriter } from '../store/batch-writer.js';
import type { Database } from '../store/level-db.js';
import { isRecord } from '../store/level-json.js';
import type { Logger } from '../log.js';
import { LevelCollection, MemoryCollection, type Collection } from './collection.js';
import type { ApiTokenRecord, ApiTokenStore } from './types.js';

function isTokenRecord(v: unknown): v is ApiTokenRecord {
  return isRecord(v) && typeof v.id === 'string' && typeof v.name === 'string' && typeof v.hash === 'string' && typeof v.readOnly === 'boolean' && typeof v.createdAt === 'number';
}

/** API tokens by id, with an index by hash (the lookup of every API request) and by name. */
export class CollectionApiTokenStore implements ApiTokenStore {
  readonly #c: Collection<ApiTokenRecord>;
  readonly #byHash = new Map<string, string>();

  constructor(c: Collection<ApiTokenRecord>) {
    this.#c = c;
    for (const [id, rec] of c.entries()) this.#byHash.set(rec.hash, id);
  }

  async add(rec: ApiTokenRecord): Promise<void> {
    const previous = this.#c.get(rec.id);
    if (previous) this.#byHash.delete(previous.hash);
    this.#byHash.set(rec.hash, rec.id);
    await this.#c.put(rec.id, rec);
  }

  async getByHash(hash: string): Promise<ApiTokenRecord | undefined> {
    const id = this.#byHash.get(hash);
    return id === undefined ? undefined : this.#c.get(id);
  }

  async getByName(name: string): Promise<ApiTokenRecord | undefined> {
    for (const [, r] of this.#c.entries()) if (r.name === name) return r;
    return undefined;
  }

  async list(): Promise<ApiTokenRecord[]> {
    return [...this.#c.entries()].map(([, r]) => r).sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1));
  }

  async remove(id: string): Promise<ApiTokenRecord | undefined> {
    const gone = this.#c.get(id);
    if (!gone) return undefined;
    this.#byHash.delete(gone.hash);
    await this.#c.delete(id);
    return gone;
  }

  close(): Promise<void> {
    return this.#c.close();
  }
}

export function memoryApiTokenStore(): ApiTokenStore {
  return new CollectionApiTokenStore(new MemoryCollection());
}

/** Sublevel "tokens", key = token id; only hashes are stored. */
export async function levelApiTokenStore(db: Database, o: { writer?: BatchWriter; logger?: Logger } = {}): Promise<ApiTokenStore> {
  return new CollectionApiTokenStore(await LevelCollection.open(db, 'tokens', isTokenRecord, o));
}
