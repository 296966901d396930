import { silentLogger, type Logger } from '../log.js';
import { configToJson, parseBootstrapConfig } from '../lwm2m/bootstrap/config-json.js';
import type { BootstrapConfig, BootstrapConfigStore, BootstrapConfigSummary } from '../lwm2m/bootstrap/types.js';
import { BatchWriter } from './batch-writer.js';
import { BootstrapConfigIndex } from './bootstrap-config-index.js';
import { sublevel, type Database, type Sublevel } from './level-db.js';
import { isRecord, readRange } from './level-json.js';

/**
 * Bootstrap configurations in LevelDB (sublevel "bs-config", key = endpoint, value = the JSON
 * form with keys as hex), with the in-memory index in front: lookups never touch the disk;
 * every change is written through before its promise resolves; `open` loads everything back.
 */
export class LevelBootstrapConfigStore implements BootstrapConfigStore {
  readonly #sub: Sublevel;
  readonly #writer: BatchWriter;
  readonly #index = new BootstrapConfigIndex();

  private constructor(db: Database, writer: BatchWriter) {
    this.#sub = sublevel(db, 'bs-config');
    this.#writer = writer;
  }

  static async open(db: Database, writer = new BatchWriter(db), options: { logger?: Logger } = {}): Promise<LevelBootstrapConfigStore> {
    const store = new LevelBootstrapConfigStore(db, writer);
    const log = options.logger ?? silentLogger();
    for (const { key, value } of await readRange(store.#sub, {}, isRecord, log, 'bs-config')) {
      try {
        store.#index.put(parseBootstrapConfig(value, key));
      } catch (e) {
        // An entry an older version accepted must not stop the server: logged (no values) and skipped.
        log.warn({ store: 'bs-config', endpoint: key, err: (e as Error).message }, 'bootstrap config unreadable; skipped');
      }
    }
    return store;
  }

  get size(): number {
    return this.#index.size;
  }

  async add(config: BootstrapConfig): Promise<BootstrapConfig | undefined> {
    const json = configToJson(config, { secrets: true });
    const next = parseBootstrapConfig(json, config.endpoint);
    const previous = this.#index.put(next);
    try {
      await this.#writer.write([{ type: 'put', sublevel: this.#sub, key: next.endpoint, value: json }]);
    } catch (e) {
      // Memory must not run ahead of the disk.
      this.#index.delete(next.endpoint);
      if (previous) this.#index.put(previous);
      throw e;
    }
    return previous;
  }

  async remove(endpoint: string): Promise<BootstrapConfig | undefined> {
    const gone = this.#index.delete(endpoint);
    if (!gone) return undefined;
    try {
      await this.#writer.write([{ type: 'del', sublevel: this.#sub, key: endpoint }]);
    } catch (e) {
      if (!this.#index.has(endpoint)) this.#index.put(gone);
      throw e;
    }
    return gone;
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

  async close(): Promise<void> {
    await this.#writer.flush();
  }
}
