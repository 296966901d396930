import { RegistrationIndex } from './registration-index.js';
import type { Registration, RegistrationStore } from './types.js';
import type { PeerAddress } from '../transport/types.js';

export class MemoryRegistrationStore implements RegistrationStore {
  #index = new RegistrationIndex();

  async add(reg: Registration): Promise<Registration | undefined> {
    return this.#index.put(reg);
  }

  async update(reg: Registration): Promise<Registration | undefined> {
    if (!this.#index.getById(reg.id)) return undefined;
    return this.#index.put(reg);
  }

  async remove(id: string): Promise<Registration | undefined> {
    return this.#index.delete(id);
  }

  async getById(id: string): Promise<Registration | undefined> {
    return this.#index.getById(id);
  }

  async getByEndpoint(endpoint: string): Promise<Registration | undefined> {
    return this.#index.getByEndpoint(endpoint);
  }

  async getByAddress(address: PeerAddress): Promise<Registration | undefined> {
    return this.#index.getByAddress(address);
  }

  async list(): Promise<Registration[]> {
    return this.#index.sorted();
  }

  async removeExpired(nowMs: number): Promise<Registration[]> {
    const gone = this.#index.expired(nowMs);
    for (const r of gone) this.#index.delete(r.id);
    return gone;
  }

  async close(): Promise<void> {}
}
