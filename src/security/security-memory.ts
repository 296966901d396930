import { normalizeSecurityInfo } from './credential-input.js';
import { SecurityIndex } from './security-index.js';
import type { SecurityInfo, SecurityStore, SecuritySummary } from './types.js';

/** Credentials in memory only (tests, `--memory`): gone after a restart. */
export class MemorySecurityStore implements SecurityStore {
  readonly #index = new SecurityIndex();

  get size(): number {
    return this.#index.size;
  }

  async add(info: SecurityInfo): Promise<SecurityInfo | undefined> {
    return this.#index.put(normalizeSecurityInfo(info));
  }

  async remove(endpoint: string): Promise<SecurityInfo | undefined> {
    return this.#index.delete(endpoint);
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

  async close(): Promise<void> {}
}
