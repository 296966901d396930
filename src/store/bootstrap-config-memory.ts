import { parseBootstrapConfig, configToJson } from '../lwm2m/bootstrap/config-json.js';
import type { BootstrapConfig, BootstrapConfigStore, BootstrapConfigSummary } from '../lwm2m/bootstrap/types.js';
import { BootstrapConfigIndex } from './bootstrap-config-index.js';

/** Bootstrap configurations in memory only (tests, `--memory`): gone after a restart. */
export class MemoryBootstrapConfigStore implements BootstrapConfigStore {
  readonly #index = new BootstrapConfigIndex();

  get size(): number {
    return this.#index.size;
  }

  async add(config: BootstrapConfig): Promise<BootstrapConfig | undefined> {
    // Validated like every other entry point: a config built in code gets the same checks.
    return this.#index.put(parseBootstrapConfig(configToJson(config, { secrets: true }), config.endpoint));
  }

  async remove(endpoint: string): Promise<BootstrapConfig | undefined> {
    return this.#index.delete(endpoint);
  }

  async get(endpoint: string): Promise<BootstrapConfig | undefined> {
    return this.#index.get(endpoint);
  }

  async list(): Promise<BootstrapConfigSummary[]> {
    return this.#index.summaries();
  }

  async resolve(endpoint: string): Promise<BootstrapConfig | undefined> {
    return this.#index.resolve(endpoint);
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

  async close(): Promise<void> {}
}
