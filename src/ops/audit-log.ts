import { systemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../log.js';
import type { Actor, AuditEntry, AuditQuery, AuditStore } from './types.js';

/**
 * The audit trail: every operator action (which API token, what, when) and every automatic
 * one (throttling, auto-quarantine). Writing it never fails the action: a store error is logged.
 */
export class AuditLog {
  readonly #store: AuditStore;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(o: { store: AuditStore; clock?: Clock; logger?: Logger }) {
    this.#store = o.store;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.logger ?? silentLogger();
  }

  async record(actor: Actor, action: string, target?: string, details?: Record<string, unknown>): Promise<AuditEntry | undefined> {
    const entry: Omit<AuditEntry, 'seq'> = { at: this.#clock.now(), actor, action };
    if (target !== undefined) entry.target = target;
    if (details !== undefined) entry.details = details;
    try {
      return await this.#store.append(entry);
    } catch (e) {
      this.#log.error({ err: e, action, target }, 'audit log write failed');
      return undefined;
    }
  }

  list(q?: AuditQuery): Promise<AuditEntry[]> {
    return this.#store.list(q);
  }
}
