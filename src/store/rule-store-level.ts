import { silentLogger, type Logger } from '../log.js';
import type { RuleStore, StoredRule } from '../rules/types.js';
import { BatchWriter } from './batch-writer.js';
import { sublevel, type Database, type Sublevel } from './level-db.js';
import { isRecord, readRange } from './level-json.js';

function isStoredRule(v: unknown): v is StoredRule {
  return (
    isRecord(v) &&
    typeof v.name === 'string' &&
    isRecord(v.spec) &&
    typeof v.enabled === 'boolean' &&
    typeof v.dryRun === 'boolean' &&
    typeof v.createdAt === 'number' &&
    typeof v.updatedAt === 'number'
  );
}

/**
 * Rules in LevelDB (sublevel "rules", key = rule name), cached in memory: reads never touch
 * the disk, every change is written through before its promise resolves, and `open` loads
 * everything back after a restart (an unreadable entry is logged and skipped).
 */
export class LevelRuleStore implements RuleStore {
  readonly #sub: Sublevel;
  readonly #writer: BatchWriter;
  readonly #rules = new Map<string, StoredRule>();

  private constructor(db: Database, writer: BatchWriter) {
    this.#sub = sublevel(db, 'rules');
    this.#writer = writer;
  }

  static async open(db: Database, o: { writer?: BatchWriter; logger?: Logger } = {}): Promise<LevelRuleStore> {
    const store = new LevelRuleStore(db, o.writer ?? new BatchWriter(db));
    for (const { value } of await readRange(store.#sub, {}, isStoredRule, o.logger ?? silentLogger(), 'rules')) store.#rules.set(value.name, value);
    return store;
  }

  async put(rule: StoredRule): Promise<StoredRule | undefined> {
    const previous = this.#rules.get(rule.name);
    const copy = structuredClone(rule);
    this.#rules.set(rule.name, copy);
    await this.#writer.write([{ type: 'put', sublevel: this.#sub, key: rule.name, value: copy }]);
    return previous && structuredClone(previous);
  }

  async get(name: string): Promise<StoredRule | undefined> {
    const r = this.#rules.get(name);
    return r && structuredClone(r);
  }

  async list(): Promise<StoredRule[]> {
    return [...this.#rules.keys()].sort().map((k) => structuredClone(this.#rules.get(k)!));
  }

  async remove(name: string): Promise<StoredRule | undefined> {
    const r = this.#rules.get(name);
    if (!r) return undefined;
    this.#rules.delete(name);
    await this.#writer.write([{ type: 'del', sublevel: this.#sub, key: name }]);
    return r;
  }

  async close(): Promise<void> {
    await this.#writer.flush();
  }
}
