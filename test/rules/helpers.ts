import { startRules, type Rules } from '../../src/rules/index.js';
import { MemoryAudit, MemoryQuarantine, MemoryTags, RecordingEvents } from '../../src/rules/memory-adapters.js';
import type { RuleStore } from '../../src/rules/types.js';
import { MemoryRuleStore } from '../../src/store/rule-store-memory.js';
import { startTestServer, type TestServer } from '../helpers/management.js';
import type { ConfigInput } from '../../src/config.js';

/** A real server (ephemeral ports) with the rule engine wired to it the way src/server.ts will. */
export interface RulesHarness {
  t: TestServer;
  rules: Rules;
  tags: MemoryTags;
  quarantine: MemoryQuarantine;
  audit: MemoryAudit;
  events: RecordingEvents;
  stop(): Promise<void>;
}

export async function rulesHarness(o: { store?: RuleStore; config?: ConfigInput; limits?: Parameters<typeof startRules>[0]['limits'] } = {}): Promise<RulesHarness> {
  const t = await startTestServer(o.config ?? {});
  const tags = new MemoryTags();
  const quarantine = new MemoryQuarantine();
  const audit = new MemoryAudit();
  const events = new RecordingEvents();
  const s = t.server;
  const rules = await startRules({
    store: o.store ?? new MemoryRuleStore(),
    events: s.events,
    ruleEvents: events,
    dispatcher: s.dispatcher,
    registrations: s.stores.registrations,
    observations: s.observations,
    latestValues: s.stores.objects,
    models: s.models,
    tags,
    quarantine,
    audit,
    ...(o.limits ? { limits: o.limits } : {}),
  });
  return {
    t,
    rules,
    tags,
    quarantine,
    audit,
    events,
    async stop() {
      rules.stop();
      await t.stop();
    },
  };
}
