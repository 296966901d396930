import { systemClock, type Clock } from '../clock.js';
import { valueFromJson, valueToJson, type JsonValue } from '../content/value-json.js';
import { isLwm2mError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { coerce } from '../lwm2m/management/value-input.js';
import type { ModelLookup } from '../model/types.js';
import type { AutoObserver } from './auto-observe.js';
import { checkRuleName, compileRule, type CompiledRule } from './rule-compile.js';
import type { Evaluation, RuleEngine } from './rule-engine.js';
import { ruleError, unknownRule } from './rule-error.js';
import type { RuleStats } from './rule-runtime.js';
import type { AuditSink, Json, RegistrationLookup, RuleInputEvents, RuleStore, StoredRule, TriggerInfo } from './types.js';

export interface RuleJson extends StoredRule {
  stats: RuleStats;
}

export interface RuleServiceOptions {
  store: RuleStore;
  engine: RuleEngine;
  models: ModelLookup;
  registrations: RegistrationLookup;
  audit: AuditSink;
  autoObserver?: AutoObserver;
  clock?: Clock;
  logger?: Logger;
}

export interface TestInput {
  value?: unknown;
  endpoint?: string;
  path?: string;
}

/** Rules as the API and CLI see them: stored in the rule store, loaded in the engine. */
export class RuleService {
  readonly #o: RuleServiceOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #compiled = new Map<string, CompiledRule>();

  constructor(o: RuleServiceOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.logger ?? silentLogger();
  }

  /** Loads every stored rule; one that no longer compiles is logged and left out. */
  async start(): Promise<void> {
    for (const stored of await this.#o.store.list()) {
      try {
        this.#load(compileRule(stored, this.#o.models));
      } catch (e) {
        this.#log.error({ rule: stored.name, err: (e as Error).message }, 'stored rule does not compile; not loaded');
      }
    }
  }

  /** Follows the server's events. Returns a function that stops following. */
  attach(events: RuleInputEvents): () => void {
    const e = this.#o.engine;
    const log = (what: string) => (err: unknown) => this.#log.error({ err }, `rules: ${what} failed`);
    const offs = [
      events.on('notification', ({ endpoint, values }) => void e.reported(endpoint, values)?.catch(log('notification'))),
      events.on('send', ({ endpoint, values }) => void e.reported(endpoint, values)?.catch(log('send'))),
      // Read answers, direct or delivered from a sleeping device's queue.
      events.on('read', ({ endpoint, values }) => void e.reported(endpoint, values)?.catch(log('read'))),
      events.on('registered', ({ registration }) => {
        void e.registration('registered', registration)?.catch(log('registered'));
        const valueRules = e.enabledValueRules();
        if (this.#o.autoObserver && valueRules.length > 0) void this.#o.autoObserver.observe(registration, valueRules).catch(log('auto-observe'));
      }),
      events.on('deregistered', ({ registration }) => void e.registration('deregistered', registration)?.catch(log('deregistered'))),
      events.on('expired', ({ registration }) => void e.registration('expired', registration)?.catch(log('expired'))),
      events.on('request-result', ({ request, result }) => e.requestResult(request.id, result.ok, result.code, result.error?.message)),
    ];
    return () => offs.forEach((off) => off());
  }

  async list(): Promise<RuleJson[]> {
    return (await this.#o.store.list()).map((r) => this.#json(r));
  }

  async get(name: string): Promise<RuleJson> {
    const r = await this.#o.store.get(name);
    if (!r) throw unknownRule(name);
    return this.#json(r);
  }

  /** Adds or replaces a rule; validation errors name the field. */
  async put(name: string, spec: unknown, opts: { enabled?: boolean; dryRun?: boolean; by?: string } = {}): Promise<{ rule: RuleJson; created: boolean }> {
    checkRuleName(name);
    const now = this.#clock.now();
    const old = await this.#o.store.get(name);
    const stored: StoredRule = { name, spec: spec as StoredRule['spec'], enabled: opts.enabled ?? old?.enabled ?? true, dryRun: opts.dryRun ?? old?.dryRun ?? false, createdAt: old?.createdAt ?? now, updatedAt: now };
    const compiled = compileRule(stored, this.#o.models);
    await this.#o.store.put(compiled.stored);
    this.#load(compiled);
    await this.#o.audit.record({ action: old ? 'rule.replace' : 'rule.add', target: name, ...by(opts.by), details: { spec: compiled.stored.spec as unknown as Record<string, unknown>, enabled: stored.enabled, dryRun: stored.dryRun } });
    this.#observeRegistered(compiled);
    return { rule: this.#json(compiled.stored), created: !old };
  }

  async setEnabled(name: string, enabled: boolean, who?: string): Promise<RuleJson> {
    return this.#change(name, { enabled }, enabled ? 'rule.enable' : 'rule.disable', who);
  }

  async setDryRun(name: string, dryRun: boolean, who?: string): Promise<RuleJson> {
    return this.#change(name, { dryRun }, 'rule.dry-run-mode', who);
  }

  async remove(name: string, who?: string): Promise<RuleJson> {
    const gone = await this.#o.store.remove(name);
    if (!gone) throw unknownRule(name);
    const json = this.#json(gone);
    this.#o.engine.remove(name);
    this.#compiled.delete(name);
    await this.#o.audit.record({ action: 'rule.remove', target: name, ...by(who) });
    return json;
  }

  /** Dry run with a given value: what the rule would do, changing nothing. */
  async test(name: string, input: TestInput): Promise<Evaluation & { rule: string; trigger: TriggerInfo }> {
    const rule = this.#compiled.get(name);
    if (!rule) throw unknownRule(name);
    const t = rule.trigger;
    const endpoint = input.endpoint ?? (t.devices.kind === 'name' ? t.devices.name : await this.#someDevice(rule));
    if (endpoint === undefined) throw ruleError('endpoint', `rule "${name}" matches several devices: say which one the value comes from`);
    const trigger: TriggerInfo = { kind: t.kind, endpoint, at: this.#clock.now() };
    if (t.kind === 'value') {
      const path = input.path ?? `/${t.path.objectId}/${t.path.instanceId ?? 0}${t.path.resourceId === undefined ? '' : `/${t.path.resourceId}`}`;
      trigger.path = path;
      if (input.value === undefined) throw ruleError('value', 'give the value to test with');
      trigger.value = this.#typed(path, input.value);
    }
    const result = await this.#o.engine.test(rule, trigger);
    this.#log.info({ rule: name, trigger, result }, 'rule test (dry run)');
    return { rule: name, trigger, ...result };
  }

  #load(rule: CompiledRule): void {
    this.#compiled.set(rule.name, rule);
    this.#o.engine.put(rule);
  }

  async #change(name: string, patch: Partial<Pick<StoredRule, 'enabled' | 'dryRun'>>, action: string, who?: string): Promise<RuleJson> {
    const old = await this.#o.store.get(name);
    if (!old) throw unknownRule(name);
    const stored: StoredRule = { ...old, ...patch, updatedAt: this.#clock.now() };
    const compiled = compileRule(stored, this.#o.models);
    await this.#o.store.put(stored);
    this.#load(compiled);
    await this.#o.audit.record({ action, target: name, ...by(who) });
    if (patch.enabled === true) this.#observeRegistered(compiled);
    return this.#json(stored);
  }

  /** A new or re-enabled rule: observe what it needs on the devices registered now. */
  #observeRegistered(rule: CompiledRule): void {
    const auto = this.#o.autoObserver;
    if (!auto || rule.trigger.kind !== 'value' || !rule.stored.enabled) return;
    void (async () => {
      for (const reg of await this.#o.registrations.list()) await auto.observe(reg, [rule]);
    })().catch((err: unknown) => this.#log.warn({ rule: rule.name, err }, 'rules: observing for a new rule failed'));
  }

  async #someDevice(rule: CompiledRule): Promise<string | undefined> {
    const regs = await this.#o.registrations.list();
    const d = rule.trigger.devices;
    if (d.kind === 'pattern') return regs.find((r) => d.regex.test(r.endpoint))?.endpoint;
    return undefined;
  }

  #typed(path: string, raw: unknown): JsonValue {
    if (raw && typeof raw === 'object' && 'type' in raw) return valueToJson(valueFromJson(raw));
    const ids = path.split('/').slice(1).map(Number);
    const model = ids[2] === undefined ? undefined : this.#o.models.resource(ids[0]!, ids[2]);
    if (model) {
      try {
        return coerce(raw as Json, model, path);
      } catch (e) {
        throw ruleError('value', isLwm2mError(e) ? e.message : String(e));
      }
    }
    if (typeof raw === 'boolean') return { type: 'boolean', value: raw };
    if (typeof raw === 'number') return Number.isInteger(raw) ? { type: 'integer', value: raw } : { type: 'float', value: raw };
    return { type: 'string', value: String(raw) };
  }

  #json(r: StoredRule): RuleJson {
    return { ...r, stats: this.#o.engine.stats(r.name) ?? { evaluations: 0, firings: 0, loopsCut: 0, rateLimited: 0 } };
  }
}

function by(who: string | undefined): { by?: string } {
  return who === undefined ? {} : { by: who };
}
