import { IndexedRegistrationStore } from './registration-index.js';
import type { Registration } from './types.js';

/** Registrations in memory only (`lwm2m serve --memory`, tests). */

export class MemoryRegistrationStore extends IndexedRegistrationStore {
  async add(reg: Registration): Promise<Registration | undefined> {
    return this.index.put(reg);
  }

  async update(reg: Registration): Promise<Registration | undefined> {
    if (!this.index.getById(reg.id)) return undefined;
    return this.index.put(reg);
  }

  async remove(id: string): Promise<Registration | undefined> {
    return this.index.delete(id);
  }

  async removeExpired(nowMs: number): Promise<Registration[]> {
    const gone = this.index.expired(nowMs);
    for (const r of gone) this.index.delete(r.id);
    return gone;
  }

  async close(): Promise<void> {}
}
