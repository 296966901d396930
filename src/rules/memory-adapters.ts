import type { AuditRecord, AuditSink, QuarantineCheck, RuleEventMap, RuleEventSink, TagLookup } from './types.js';

/** Tags in a map: for tests and for running the engine without the operations layer. */
export class MemoryTags implements TagLookup {
  readonly #tags = new Map<string, Record<string, string>>();

  set(endpoint: string, tags: Record<string, string>): void {
    this.#tags.set(endpoint, { ...(this.#tags.get(endpoint) ?? {}), ...tags });
  }

  async endpointsWithTag(key: string, value: string): Promise<string[]> {
    return [...this.#tags].filter(([, t]) => t[key] === value).map(([ep]) => ep).sort();
  }

  async tagsOf(endpoint: string): Promise<Record<string, string>> {
    return { ...(this.#tags.get(endpoint) ?? {}) };
  }
}

export class MemoryQuarantine implements QuarantineCheck {
  readonly endpoints = new Set<string>();

  isQuarantined(endpoint: string): boolean {
    return this.endpoints.has(endpoint);
  }
}

export class MemoryAudit implements AuditSink {
  readonly entries: AuditRecord[] = [];

  async record(entry: AuditRecord): Promise<void> {
    this.entries.push(entry);
  }
}

/** Keeps what the engine emits, in order. */
export class RecordingEvents implements RuleEventSink {
  readonly emitted: { name: keyof RuleEventMap; event: RuleEventMap[keyof RuleEventMap] }[] = [];
  readonly #listeners: ((name: keyof RuleEventMap, event: RuleEventMap[keyof RuleEventMap]) => void)[] = [];

  emit<K extends keyof RuleEventMap>(name: K, event: RuleEventMap[K]): void {
    this.emitted.push({ name, event });
    for (const l of this.#listeners) l(name, event);
  }

  of<K extends keyof RuleEventMap>(name: K): RuleEventMap[K][] {
    return this.emitted.filter((e) => e.name === name).map((e) => e.event as RuleEventMap[K]);
  }

  listen(fn: (name: keyof RuleEventMap, event: RuleEventMap[keyof RuleEventMap]) => void): void {
    this.#listeners.push(fn);
  }
}
