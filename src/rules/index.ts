import { systemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../log.js';
import type { ModelLookup } from '../model/types.js';
import { AutoObserver } from './auto-observe.js';
import { RuleEngine, type RuleEngineOptions } from './rule-engine.js';
import { RuleService } from './rule-service.js';
import type { ActionDispatcher, AuditSink, LatestValues, ObservationLookup, QuarantineCheck, RegistrationLookup, RuleEventSink, RuleInputEvents, RuleStore, TagLookup } from './types.js';

export interface RulesDeps {
  store: RuleStore;
  events: RuleInputEvents;
  ruleEvents: RuleEventSink;
  dispatcher: ActionDispatcher;
  registrations: RegistrationLookup;
  observations: ObservationLookup;
  latestValues: LatestValues;
  models: ModelLookup;
  tags: TagLookup;
  quarantine: QuarantineCheck;
  audit: AuditSink;
  clock?: Clock;
  logger?: Logger;
  /** Engine limits (maxDepth, causationWindowMs, targetRate, defaultRuleRate, webhookBackoffMs). */
  limits?: Pick<RuleEngineOptions, 'maxDepth' | 'causationWindowMs' | 'targetRate' | 'defaultRuleRate' | 'webhookBackoffMs'>;
  /** Observe what rules need on devices as they register (default true). */
  autoObserve?: boolean;
}

export interface Rules {
  service: RuleService;
  engine: RuleEngine;
  stop(): void;
}

/** Builds the rule engine and service, loads the stored rules and follows the server's events. */
export async function startRules(d: RulesDeps): Promise<Rules> {
  const clock = d.clock ?? systemClock;
  const logger = d.logger ?? silentLogger();
  const engine = new RuleEngine({ ...d.limits, dispatcher: d.dispatcher, registrations: d.registrations, tags: d.tags, quarantine: d.quarantine, audit: d.audit, events: d.ruleEvents, latestValues: d.latestValues, models: d.models, clock, logger });
  const autoObserver = d.autoObserve === false ? undefined : new AutoObserver({ dispatcher: d.dispatcher, observations: d.observations, tags: d.tags, logger });
  const service = new RuleService({ store: d.store, engine, models: d.models, registrations: d.registrations, audit: d.audit, clock, logger, ...(autoObserver ? { autoObserver } : {}) });
  await service.start();
  const detach = service.attach(d.events);
  return { service, engine, stop: detach };
}

export { RuleEngine } from './rule-engine.js';
export { RuleService } from './rule-service.js';
export type * from './types.js';
