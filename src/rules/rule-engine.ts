import { systemClock, type Clock } from '../clock.js';
import type { JsonValue } from '../content/value-json.js';
import { silentLogger, type Logger } from '../log.js';
import type { PathValue } from '../lwm2m/management/operation.js';
import type { ModelLookup } from '../model/types.js';
import type { Registration } from '../store/types.js';
import { ActionRunner } from './action-runner.js';
import { CausationTracker } from './causation.js';
import { inWindow, parseRate, type Rate } from './duration.js';
import { evaluate, latestKey, scalarOf, truthy } from './expression-eval.js';
import type { Scalar } from './expression-parser.js';
import { RateLimiter } from './rate-limiter.js';
import type { CompiledRule } from './rule-compile.js';
import { RuleIndex } from './rule-index.js';
import { RuleRuntime, type RuleStats } from './rule-runtime.js';
import { SerialByKey } from './serial-by-key.js';
import { matchesDevice, matchesName, matchesPath, pathIds } from './selector.js';
import type { TemplateContext } from './template.js';
import type { ActionDispatcher, ActionOutcome, AuditSink, LatestValues, QuarantineCheck, RegistrationLookup, RuleEventSink, TagLookup, TriggerInfo } from './types.js';

const EMPTY: ReadonlyMap<string, Scalar> = new Map();
const MAX_PENDING = 100_000;

/** A reported value and the rules that may fire on it. */
interface Work {
  v: PathValue;
  rules: CompiledRule[];
  chain: string[];
}

export interface RuleEngineOptions {
  dispatcher: ActionDispatcher;
  registrations: RegistrationLookup;
  tags: TagLookup;
  quarantine: QuarantineCheck;
  audit: AuditSink;
  events: RuleEventSink;
  latestValues: LatestValues;
  models: ModelLookup;
  clock?: Clock;
  logger?: Logger;
  /** Longest chain of rules triggering each other; the next link is cut and reported. Default 4. */
  maxDepth?: number;
  /** How long after a rule's action a device's report counts as caused by it. Default 2 s. */
  causationWindowMs?: number;
  /** Actions per target device from all rules. Default "120/min". */
  targetRate?: string;
  /** A rule's firings when it sets no "rate". Default "600/min". */
  defaultRuleRate?: string;
  webhookBackoffMs?: number;
}

export interface Evaluation {
  matched: boolean;
  condition: boolean;
  inWindow: boolean;
  debounceMs?: number;
  actions: ActionOutcome[];
}

/**
 * Evaluates rules on what devices report and on registration events, and runs their actions.
 * Reports of one device are processed in arrival order (a crossing or `changed` depends on the
 * order); different devices proceed independently.
 */
export class RuleEngine {
  readonly #o: RuleEngineOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #index = new RuleIndex();
  readonly #runtimes = new Map<string, RuleRuntime>();
  /** "<ep>\0<path>" → the last value rules saw (for `previous` and `changed`). */
  readonly #previous = new Map<string, Scalar>();
  readonly #serial: SerialByKey;
  readonly #pending = new Map<string, { rule: string; endpoint: string; path: string; chain: string[] }>();
  readonly #causation: CausationTracker;
  readonly #limiter: RateLimiter;
  readonly #runner: ActionRunner;
  readonly #maxDepth: number;
  readonly #ruleRate: Rate;

  constructor(o: RuleEngineOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.logger ?? silentLogger();
    this.#maxDepth = o.maxDepth ?? 4;
    this.#ruleRate = parseRate(o.defaultRuleRate ?? '600/min', 'defaultRuleRate');
    this.#serial = new SerialByKey((endpoint, e) => this.#log.error({ endpoint, err: e }, 'rule evaluation failed'));
    this.#causation = new CausationTracker(this.#clock, o.causationWindowMs ?? 2000);
    this.#limiter = new RateLimiter(this.#clock);
    this.#runner = new ActionRunner({
      ...o,
      clock: this.#clock,
      causation: this.#causation,
      limiter: this.#limiter,
      targetRate: parseRate(o.targetRate ?? '120/min', 'targetRate'),
      onQueued: (id, info) => {
        // Bounded: a request cancelled without a result (quarantine) would otherwise stay here.
        if (this.#pending.size >= MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value!);
        this.#pending.set(id, info);
      },
    });
  }

  get size(): number {
    return this.#index.size;
  }

  /** Loads or replaces a rule. A disabled rule is kept out of the index. */
  put(rule: CompiledRule): void {
    this.remove(rule.name);
    const rt = new RuleRuntime(rule);
    this.#runtimes.set(rule.name, rt);
    if (rule.stored.enabled) this.#index.add(rule);
  }

  remove(name: string): void {
    const rt = this.#runtimes.get(name);
    if (!rt) return;
    rt.dispose();
    this.#runtimes.delete(name);
    this.#index.remove(name);
    this.#limiter.forget(`rule\0${name}\0`);
  }

  stats(name: string): RuleStats | undefined {
    const s = this.#runtimes.get(name)?.stats;
    return s && { ...s };
  }

  enabledValueRules(): readonly CompiledRule[] {
    return this.#index.valueRules();
  }

  /**
   * Values a device reported (notification, Send, read). Resolves when every firing is done;
   * undefined (nothing to wait for) when no rule looks at these values, which is most reports:
   * they cost no promise.
   */
  reported(endpoint: string, values: readonly PathValue[]): Promise<void> | undefined {
    if (this.#index.size === 0) return undefined;
    // Synchronous first pass: rules for these paths whose name/pattern can match this device.
    // Most reports match no rule and end here, without queueing behind the device's others.
    const work: Work[] = [];
    for (const v of values) {
      const candidates = this.#index.forPath(pathIds(v.path), endpoint);
      if (candidates.length === 0) continue;
      const rules = candidates.filter((r) => matchesName(r.trigger.devices, endpoint) !== false);
      if (rules.length > 0) work.push({ v, rules, chain: this.#causation.chainFor(endpoint, v.path) });
    }
    return work.length === 0 ? undefined : this.#evaluate(endpoint, work);
  }

  async #evaluate(endpoint: string, work: Work[]): Promise<void> {
    const firings: Promise<void>[] = [];
    // Only the evaluation is serialised per device; actions (which may wait for devices) are not.
    await this.#serial.run(endpoint, () => this.#process(endpoint, work, firings));
    await Promise.all(firings);
  }

  /**
   * A registration event: rules with "registered:", "deregistered:" or "expired:" triggers.
   * Undefined (no promise) when no rule follows this kind of event.
   */
  registration(kind: 'registered' | 'deregistered' | 'expired', reg: Registration): Promise<void> | undefined {
    const ep = reg.endpoint;
    if (kind !== 'registered') this.forgetDevice(ep);
    const rules = this.#index.forEvent(kind);
    return rules.length === 0 ? undefined : this.#registration(kind, ep, rules);
  }

  async #registration(kind: 'registered' | 'deregistered' | 'expired', ep: string, rules: readonly CompiledRule[]): Promise<void> {
    if (await this.#o.quarantine.isQuarantined(ep)) return;
    const tags = await this.#tagsIfNeeded(rules, ep);
    const trigger: TriggerInfo = { kind, endpoint: ep, at: this.#clock.now() };
    await Promise.all(
      rules.filter((r) => matchesDevice(r.trigger.devices, ep, tags)).map(async (r) => {
        const rt = this.#runtimes.get(r.name)!;
        rt.stats.evaluations++;
        if (!(await this.#check(rt, trigger, null, undefined, `${ep}\0`, false))) return;
        if (r.window && !inWindow(r.window, trigger.at)) return;
        await this.#fire(rt, trigger, [], tags);
      }),
    );
  }

  /** A queued action reached its device (or failed, or expired). */
  requestResult(requestId: string, ok: boolean, code?: string, error?: string): void {
    const p = this.#pending.get(requestId);
    if (!p) return;
    this.#pending.delete(requestId);
    if (ok) this.#causation.mark(p.endpoint, p.path, p.chain);
    const e: { rule: string; endpoint: string; requestId: string; ok: boolean; code?: string; error?: string } = { rule: p.rule, endpoint: p.endpoint, requestId, ok };
    if (code !== undefined) e.code = code;
    if (error !== undefined) e.error = error;
    this.#o.events.emit('rule-action-result', e);
    void this.#o.audit.record({ action: 'rule.action-result', target: p.rule, details: { ...e } });
  }

  forgetDevice(endpoint: string): void {
    const prefix = `${endpoint}\0`;
    for (const k of this.#previous.keys()) if (k.startsWith(prefix)) this.#previous.delete(k);
    for (const rt of this.#runtimes.values()) rt.forgetDevice(endpoint);
  }

  /** Dry run of one rule on a given value: what would happen, changing no state. */
  async test(rule: CompiledRule, trigger: TriggerInfo): Promise<Evaluation> {
    const rt = this.#runtimes.get(rule.name) ?? new RuleRuntime(rule);
    const tags = await this.#o.tags.tagsOf(trigger.endpoint);
    const key = `${trigger.endpoint}\0${trigger.path ?? ''}`;
    const t = rule.trigger;
    const ids = trigger.path === undefined ? [] : pathIds(trigger.path);
    const matched = matchesDevice(t.devices, trigger.endpoint, tags) && (t.kind === 'value' ? matchesPath(t.path, ids) : t.kind === trigger.kind);
    const condition = await this.#check(rt, trigger, scalarOf(trigger.value), this.#previous.get(key), key, true);
    const windowOk = !rule.window || inWindow(rule.window, trigger.at);
    const out: Evaluation = { matched, condition, inWindow: windowOk, actions: [] };
    if (rule.forMs !== undefined) out.debounceMs = rule.forMs;
    if (matched && condition && windowOk) out.actions = await this.#runner.run(rule.actions, this.#templateCtx(rule, trigger, tags, undefined), [rule.name], true);
    return out;
  }

  async #process(endpoint: string, work: readonly Work[], firings: Promise<void>[]): Promise<void> {
    if (await this.#o.quarantine.isQuarantined(endpoint)) return;
    let tags: Record<string, string> | undefined;
    for (const { v, rules, chain } of work) {
      const key = `${endpoint}\0${v.path}`;
      const value = scalarOf(v.value);
      const previous = this.#previous.get(key);
      this.#previous.set(key, value);
      const trigger: TriggerInfo = { kind: 'value', endpoint, path: v.path, value: v.value, at: this.#clock.now() };
      for (const r of rules) {
        if (r.trigger.devices.kind === 'tag') {
          tags ??= await this.#o.tags.tagsOf(endpoint);
          if (!matchesDevice(r.trigger.devices, endpoint, tags)) continue;
        }
        // The rule may have been removed or replaced while this report waited its turn.
        const rt = this.#runtimes.get(r.name);
        if (rt?.rule !== r) continue;
        rt.stats.evaluations++;
        const checked = this.#check(rt, trigger, value, previous, key, false);
        const held = typeof checked === 'boolean' ? checked : await checked;
        if (r.forMs !== undefined) {
          this.#debounce(rt, key, held, trigger, chain, previous);
          continue;
        }
        if (!held || (r.window && !inWindow(r.window, trigger.at))) continue;
        firings.push(this.#fire(rt, trigger, chain, tags, previous).catch((e: unknown) => this.#log.error({ rule: r.name, err: e }, 'rule firing failed')));
      }
    }
  }

  /** Synchronous unless the condition reads `latest(...)` (then the store is asked first). */
  #check(rt: RuleRuntime, trigger: TriggerInfo, value: Scalar, previous: Scalar | undefined, key: string, scratch: boolean): boolean | Promise<boolean> {
    const cond = rt.rule.condition;
    if (!cond) return true;
    if (cond.latest.length === 0) return this.#eval(rt, trigger, value, previous, key, scratch, EMPTY);
    return (async () => {
      const latest = new Map<string, Scalar>();
      for (const ref of cond.latest) {
        const stored = await this.#o.latestValues.latest(ref.endpoint, ref.path);
        latest.set(latestKey(ref.endpoint, ref.path), scalarOf(stored.find((s) => s.path === ref.path)?.value));
      }
      return this.#eval(rt, trigger, value, previous, key, scratch, latest);
    })();
  }

  #eval(rt: RuleRuntime, trigger: TriggerInfo, value: Scalar, previous: Scalar | undefined, key: string, scratch: boolean, latest: ReadonlyMap<string, Scalar>): boolean {
    try {
      return truthy(evaluate(rt.rule.condition!.expr, { value, previous, endpoint: trigger.endpoint, path: trigger.path ?? '', latest, state: rt.stateFor(key, scratch) }));
    } catch (e) {
      rt.stats.lastError = (e as Error).message;
      return false;
    }
  }

  #debounce(rt: RuleRuntime, key: string, held: boolean, trigger: TriggerInfo, chain: string[], previous: Scalar | undefined): void {
    if (!rt.debounce(key, held)) return;
    const timer = this.#clock.setTimer(rt.rule.forMs!, () => {
      if (!rt.elapsed(key) || this.#runtimes.get(rt.rule.name) !== rt) return;
      const at = Object.assign({}, trigger, { at: this.#clock.now() });
      if (rt.rule.window && !inWindow(rt.rule.window, at.at)) return;
      void this.#fire(rt, at, chain, undefined, previous).catch((e: unknown) => this.#log.error({ rule: rt.rule.name, err: e }, 'rule firing failed'));
    });
    rt.armed(key, timer);
  }

  async #fire(rt: RuleRuntime, trigger: TriggerInfo, chainIn: string[], tags: Record<string, string> | undefined, previous?: Scalar): Promise<void> {
    const rule = rt.rule;
    if (chainIn.length >= this.#maxDepth) {
      rt.stats.loopsCut++;
      const chain = [...chainIn, rule.name];
      this.#log.warn({ rule: rule.name, chain }, 'rule chain cut: loop or chain too deep');
      this.#o.events.emit('rule-loop', { rule: rule.name, endpoint: trigger.endpoint, trigger, chain, maxDepth: this.#maxDepth });
      await this.#o.audit.record({ action: 'rule.loop', target: rule.name, details: { trigger: { ...trigger }, chain, maxDepth: this.#maxDepth } });
      return;
    }
    if (!this.#limiter.take(`rule\0${rule.name}\0`, rule.rate ?? this.#ruleRate)) {
      rt.stats.rateLimited++;
      if (!rt.limited) {
        rt.limited = true;
        await this.#o.audit.record({ action: 'rule.rate-limited', target: rule.name, details: { trigger: { ...trigger } } });
      }
      return;
    }
    rt.limited = false;
    const chain = [...chainIn, rule.name];
    const ctx = this.#templateCtx(rule, trigger, tags ?? (await this.#o.tags.tagsOf(trigger.endpoint)), previous);
    let actions: ActionOutcome[];
    try {
      actions = await this.#runner.run(rule.actions, ctx, chain, rule.stored.dryRun);
    } catch (e) {
      rt.stats.lastError = (e as Error).message;
      this.#log.error({ rule: rule.name, err: e }, 'rule actions failed');
      return;
    }
    rt.stats.firings++;
    rt.stats.lastFiredAt = trigger.at;
    const dryRun = rule.stored.dryRun;
    if (dryRun) this.#log.info({ rule: rule.name, trigger, actions }, 'dry run: rule would fire');
    this.#o.events.emit('rule-fired', { rule: rule.name, endpoint: trigger.endpoint, trigger, chain, dryRun, actions });
    await this.#o.audit.record({ action: dryRun ? 'rule.dry-run' : 'rule.fired', target: rule.name, details: { trigger: { ...trigger }, chain, actions: actions.map(({ operation: _op, ...rest }) => rest) } });
  }

  #templateCtx(rule: CompiledRule, trigger: TriggerInfo, tags: Record<string, string>, previous: Scalar | undefined): TemplateContext {
    const ctx: TemplateContext = { rule: rule.name, endpoint: trigger.endpoint, scalar: scalarOf(trigger.value), at: trigger.at, tags };
    if (trigger.path !== undefined) ctx.path = trigger.path;
    if (trigger.value !== undefined) ctx.value = trigger.value as JsonValue;
    if (previous !== undefined) ctx.previous = previous;
    return ctx;
  }

  async #tagsIfNeeded(rules: readonly CompiledRule[], endpoint: string): Promise<Record<string, string>> {
    return rules.some((r) => r.trigger.devices.kind === 'tag') ? this.#o.tags.tagsOf(endpoint) : {};
  }
}
