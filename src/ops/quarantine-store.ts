import type { BatchWriter } from '../store/batch-writer.js';
import type { Database } from '../store/level-db.js';
import { isRecord } from '../store/level-json.js';
import type { Logger } from '../log.js';
import { LevelCollection, MemoryCollection, type Collection } from './collection.js';
import type { QuarantineRecord, QuarantineStore } from './types.js';

function isQuarantineRecord(v: unknown): v is QuarantineRecord {
  return isRecord(v) && typeof v.endpoint === 'string' && typeof v.reason === 'string' && typeof v.since === 'number' && isRecord(v.by) && Array.isArray(v.identities) && Array.isArray(v.addresses) && Array.isArray(v.registrationIds);
}

/** Quarantined endpoints by name, with indexes by bound identity and by bound address. */
export class CollectionQuarantineStore implements QuarantineStore {
  readonly #c: Collection<QuarantineRecord>;
  readonly #byIdentity = new Map<string, string>();
  readonly #byAddress = new Map<string, string>();
  readonly #byRegistration = new Map<string, string>();

  constructor(c: Collection<QuarantineRecord>) {
    this.#c = c;
    for (const [, rec] of c.entries()) this.#index(rec);
  }

  async put(rec: QuarantineRecord): Promise<QuarantineRecord | undefined> {
    const previous = this.#c.get(rec.endpoint);
    if (previous) this.#unindex(previous);
    this.#index(rec);
    await this.#c.put(rec.endpoint, rec);
    return previous;
  }

  get(endpoint: string): QuarantineRecord | undefined {
    return this.#c.get(endpoint);
  }

  get size(): number {
    return this.#c.size;
  }

  findByIdentity(identityKey: string): QuarantineRecord | undefined {
    const ep = this.#byIdentity.get(identityKey);
    return ep === undefined ? undefined : this.#c.get(ep);
  }

  findByAddress(peerKey: string): QuarantineRecord | undefined {
    const ep = this.#byAddress.get(peerKey);
    return ep === undefined ? undefined : this.#c.get(ep);
  }

  findByRegistrationId(id: string): QuarantineRecord | undefined {
    const ep = this.#byRegistration.get(id);
    return ep === undefined ? undefined : this.#c.get(ep);
  }

  async remove(endpoint: string): Promise<QuarantineRecord | undefined> {
    const gone = this.#c.get(endpoint);
    if (!gone) return undefined;
    this.#unindex(gone);
    await this.#c.delete(endpoint);
    return gone;
  }

  async list(): Promise<QuarantineRecord[]> {
    return [...this.#c.entries()].map(([, r]) => r).sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
  }

  close(): Promise<void> {
    return this.#c.close();
  }

  #index(rec: QuarantineRecord): void {
    for (const i of rec.identities) this.#byIdentity.set(i, rec.endpoint);
    for (const a of rec.addresses) this.#byAddress.set(a, rec.endpoint);
    for (const r of rec.registrationIds) this.#byRegistration.set(r, rec.endpoint);
  }

  #unindex(rec: QuarantineRecord): void {
    for (const i of rec.identities) if (this.#byIdentity.get(i) === rec.endpoint) this.#byIdentity.delete(i);
    for (const a of rec.addresses) if (this.#byAddress.get(a) === rec.endpoint) this.#byAddress.delete(a);
    for (const r of rec.registrationIds) if (this.#byRegistration.get(r) === rec.endpoint) this.#byRegistration.delete(r);
  }
}

export function memoryQuarantineStore(): QuarantineStore {
  return new CollectionQuarantineStore(new MemoryCollection());
}

/** Sublevel "quarantine", key = endpoint. */
export async function levelQuarantineStore(db: Database, o: { writer?: BatchWriter; logger?: Logger } = {}): Promise<QuarantineStore> {
  return new CollectionQuarantineStore(await LevelCollection.open(db, 'quarantine', isQuarantineRecord, o));
}
