import type { RuleStore, StoredRule } from '../rules/types.js';

/** Rules in memory (tests, `--memory`). Returns copies, like the LevelDB store. */
export class MemoryRuleStore implements RuleStore {
  readonly #rules = new Map<string, StoredRule>();

  async put(rule: StoredRule): Promise<StoredRule | undefined> {
    const previous = this.#rules.get(rule.name);
    this.#rules.set(rule.name, structuredClone(rule));
    return previous;
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
    this.#rules.delete(name);
    return r;
  }

  async close(): Promise<void> {}
}
