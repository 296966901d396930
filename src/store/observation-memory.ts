import { ObservationIndex } from './observation-index.js';
import type { ObservationRecord, ObservationStore } from './types.js';

export class MemoryObservationStore implements ObservationStore {
  readonly #index = new ObservationIndex();

  async add(o: ObservationRecord): Promise<ObservationRecord | undefined> {
    return this.#index.put(o);
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
    return this.#index.delete(token);
  }

  async removeByEndpoint(endpoint: string): Promise<ObservationRecord[]> {
    const gone = this.#index.byEndpoint(endpoint);
    for (const o of gone) this.#index.delete(o.token);
    return gone;
  }

  async close(): Promise<void> {}
}
