import type { BatchWriter } from '../store/batch-writer.js';
import type { Database } from '../store/level-db.js';
import { isRecord } from '../store/level-json.js';
import type { Logger } from '../log.js';
import { Lwm2mError } from '../errors.js';
import { LevelCollection, MemoryCollection, type Collection } from './collection.js';
import type { Tags, TagStore } from './types.js';

const KEY = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_VALUE = 256;
const MAX_TAGS = 64;

function isTags(v: unknown): v is Tags {
  return isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Validates operator input: keys `[A-Za-z0-9_.-]{1,64}`, values up to 256 characters. */
export function checkTags(tags: Record<string, string | null>): void {
  for (const [k, v] of Object.entries(tags)) {
    if (!KEY.test(k)) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `tag key "${k}" must be 1-64 characters of A-Z a-z 0-9 _ . -`);
    if (v !== null && (typeof v !== 'string' || v.length > MAX_VALUE)) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `tag "${k}" needs a string value of at most ${MAX_VALUE} characters`);
  }
}

/** Operator-set tags per endpoint (`street=5`), kept whether or not the device is registered. */
export class CollectionTagStore implements TagStore {
  readonly #c: Collection<Tags>;

  constructor(c: Collection<Tags>) {
    this.#c = c;
  }

  async set(endpoint: string, tags: Record<string, string | null>): Promise<Tags> {
    checkTags(tags);
    const previous = this.#c.get(endpoint) ?? {};
    const next: Tags = { ...previous };
    for (const [k, v] of Object.entries(tags)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    if (Object.keys(next).length > MAX_TAGS) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `at most ${MAX_TAGS} tags per device`);
    if (Object.keys(next).length === 0) await this.#c.delete(endpoint);
    else await this.#c.put(endpoint, next);
    return previous;
  }

  async get(endpoint: string): Promise<Tags> {
    return { ...(this.#c.get(endpoint) ?? {}) };
  }

  async all(): Promise<Map<string, Tags>> {
    return new Map(this.#c.entries());
  }

  async remove(endpoint: string): Promise<Tags> {
    const gone = this.#c.get(endpoint) ?? {};
    await this.#c.delete(endpoint);
    return gone;
  }

  close(): Promise<void> {
    return this.#c.close();
  }
}

export function memoryTagStore(): TagStore {
  return new CollectionTagStore(new MemoryCollection());
}

/** Sublevel "tags", key = endpoint. */
export async function levelTagStore(db: Database, o: { writer?: BatchWriter; logger?: Logger } = {}): Promise<TagStore> {
  return new CollectionTagStore(await LevelCollection.open(db, 'tags', isTags, o));
}
