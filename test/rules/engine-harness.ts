import { ManualClock } from '../../src/clock.js';
import type { Operation } from '../../src/lwm2m/management/operation.js';
import type { Submission } from '../../src/lwm2m/queue/dispatcher.js';
import type { JsonValue } from '../../src/content/value-json.js';
import { MemoryAudit, MemoryQuarantine, MemoryTags, RecordingEvents } from '../../src/rules/memory-adapters.js';
import { RuleEngine, type RuleEngineOptions } from '../../src/rules/rule-engine.js';
import { RuleService } from '../../src/rules/rule-service.js';
import { MemoryRuleStore } from '../../src/store/rule-store-memory.js';
import type { Registration } from '../../src/store/types.js';
import { registration } from '../_suites/registration-store.js';
import { sharedModels } from '../helpers/management.js';

/** The engine and service over fakes: a dispatcher that records operations, a manual clock. */
export async function engineHarness(limits: Partial<RuleEngineOptions> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const sent: { endpoint: string; op: Operation }[] = [];
  const sleeping = new Set<string>();
  const failing = new Set<string>();
  let seq = 0;
  const regs = new Map<string, Registration>();
  const stored = new Map<string, JsonValue>();
  const tags = new MemoryTags();
  const quarantine = new MemoryQuarantine();
  const audit = new MemoryAudit();
  const events = new RecordingEvents();
  const models = await sharedModels();
  const engine = new RuleEngine({
    dispatcher: {
      async submit(endpoint: string, op: Operation): Promise<Submission> {
        sent.push({ endpoint, op });
        if (sleeping.has(endpoint)) {
          const now = clock.now();
          return { queued: true, request: { id: `q${++seq}`, endpoint, seq, operation: op.op, args: op as unknown as Record<string, unknown>, status: 'pending', createdAt: now, updatedAt: now, expiresAt: now + 1000 } };
        }
        if (failing.has(endpoint)) return { queued: false, result: { ok: false, code: '4.05', error: { code: 'LWM2M_ERR_DEVICE_ERROR', message: 'device answered 4.05' } } };
        return { queued: false, result: { ok: true, code: op.op === 'create' ? '2.01' : '2.04' } };
      },
    },
    registrations: { getByEndpoint: (ep) => regs.get(ep), list: async () => [...regs.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint)) },
    tags,
    quarantine,
    audit,
    events,
    latestValues: { latest: async (ep, p) => (stored.has(`${ep}:${p}`) ? [{ path: p!, value: stored.get(`${ep}:${p}`)! }] : []) },
    models,
    clock,
    ...limits,
  });
  const service = new RuleService({ store: new MemoryRuleStore(), engine, models, registrations: { getByEndpoint: (ep) => regs.get(ep), list: async () => [...regs.values()] }, audit, clock });
  return {
    clock,
    sent,
    sleeping,
    failing,
    stored,
    tags,
    quarantine,
    audit,
    events,
    engine,
    service,
    register(...endpoints: string[]): void {
      for (const endpoint of endpoints) regs.set(endpoint, registration({ id: endpoint, endpoint }));
    },
    reg: (endpoint: string) => regs.get(endpoint)!,
    /** A device reports one value. */
    report: (endpoint: string, path: string, value: JsonValue) => engine.reported(endpoint, [{ path, value }]),
    /** Lets timers' async work (firings after a debounce) finish. */
    settle: () => new Promise((r) => setTimeout(r, 20)),
  };
}

export const bool = (value: boolean): JsonValue => ({ type: 'boolean', value });
export const float = (value: number): JsonValue => ({ type: 'float', value });
