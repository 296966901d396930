import type { Clock } from '../clock.js';
import { isLwm2mError } from '../errors.js';
import type { Operation, PathValue } from '../lwm2m/management/operation.js';
import { coerce } from '../lwm2m/management/value-input.js';
import type { ModelLookup } from '../model/types.js';
import type { CausationTracker } from './causation.js';
import type { Rate } from './duration.js';
import type { RateLimiter } from './rate-limiter.js';
import type { CompiledAction } from './rule-compile.js';
import { parseDevices, type DeviceSelector } from './selector.js';
import { MissingTemplateValue, renderJson, renderText, type TemplateContext } from './template.js';
import type { ActionDispatcher, ActionOutcome, Json, QuarantineCheck, RegistrationLookup, TagLookup } from './types.js';
import { callWebhook } from './webhook.js';

export interface ActionRunnerOptions {
  dispatcher: ActionDispatcher;
  registrations: RegistrationLookup;
  tags: TagLookup;
  quarantine: QuarantineCheck;
  models: ModelLookup;
  causation: CausationTracker;
  limiter: RateLimiter;
  /** Most actions per target device from all rules together. */
  targetRate: Rate;
  clock: Clock;
  webhookBackoffMs?: number;
  /** A queued action: its result arrives later as a `request-result` event. */
  onQueued(requestId: string, info: { rule: string; endpoint: string; path: string; chain: string[] }): void;
}

/** Runs one firing's actions: resolves target devices, applies safety checks, submits. */
export class ActionRunner {
  readonly #o: ActionRunnerOptions;

  constructor(o: ActionRunnerOptions) {
    this.#o = o;
  }

  /** All actions at once (a lamp need not wait for the one before); outcomes in action order. */
  async run(actions: readonly CompiledAction[], ctx: TemplateContext, chain: string[], dryRun: boolean): Promise<ActionOutcome[]> {
    const per = await Promise.all(actions.map((a) => this.#one(a, ctx, chain, dryRun)));
    return per.flat();
  }

  async #one(a: CompiledAction, ctx: TemplateContext, chain: string[], dryRun: boolean): Promise<ActionOutcome[]> {
    if (a.kind === 'webhook') return [await this.#webhook(a, ctx, chain, dryRun)];
    let selector: DeviceSelector;
    try {
      selector = parseDevices(renderText(a.devices, ctx), 'target');
    } catch (e) {
      return [{ kind: a.kind, target: a.devices, path: a.path, status: 'skipped', reason: reasonOf(e) }];
    }
    const endpoints = await this.#resolve(selector);
    if (endpoints.length === 0) return [{ kind: a.kind, target: a.devices, path: a.path, status: 'skipped', reason: 'no matching device' }];
    return Promise.all(endpoints.map((ep) => this.#device(a, ep, ctx, chain, dryRun)));
  }

  async #resolve(s: DeviceSelector): Promise<string[]> {
    if (s.kind === 'name') return [s.name];
    if (s.kind === 'tag') return [...(await this.#o.tags.endpointsWithTag(s.key, s.value))].sort();
    return (await this.#o.registrations.list()).map((r) => r.endpoint).filter((ep) => s.regex.test(ep));
  }

  async #device(a: Exclude<CompiledAction, { kind: 'webhook' }>, endpoint: string, ctx: TemplateContext, chain: string[], dryRun: boolean): Promise<ActionOutcome> {
    const out: ActionOutcome = { kind: a.kind, target: endpoint, path: a.path, status: 'skipped' };
    if (await this.#o.quarantine.isQuarantined(endpoint)) return Object.assign({}, out, { reason: 'quarantined' });
    let op: Operation;
    try {
      op = await this.#operation(a, endpoint, ctx);
    } catch (e) {
      return Object.assign({}, out, { status: 'failed', reason: reasonOf(e) });
    }
    out.operation = op;
    if (dryRun) return Object.assign({}, out, { status: 'dry-run' });
    if (!this.#o.limiter.take(`target\0${endpoint}`, this.#o.targetRate)) return Object.assign({}, out, { reason: 'rate-limited (target device)' });
    // Before submitting: the device may report the change before its answer reaches us.
    this.#o.causation.mark(endpoint, a.path, chain);
    const s = await this.#o.dispatcher.submit(endpoint, op);
    if (s.queued) {
      this.#o.onQueued(s.request.id, { rule: ctx.rule, endpoint, path: a.path, chain });
      return Object.assign({}, out, { status: 'queued', requestId: s.request.id });
    }
    const r = s.result;
    const done: ActionOutcome = Object.assign({}, out, { status: r.ok ? 'done' : 'failed' });
    if (r.code !== undefined) done.code = r.code;
    if (!r.ok) done.reason = r.error ? `${r.error.code}: ${r.error.message}` : 'failed';
    return done;
  }

  async #operation(a: Exclude<CompiledAction, { kind: 'webhook' }>, endpoint: string, ctx: TemplateContext): Promise<Operation> {
    const reg = this.#o.registrations.getByEndpoint(endpoint);
    const [oid] = a.path.split('/').slice(1).map(Number);
    const version = reg?.objectLinks.find((l) => l.objectId === oid && l.version)?.version;
    const typed = (path: string, raw: Json): PathValue => {
      const ids = path.split('/').slice(1).map(Number);
      return { path, value: coerce(raw, this.#o.models.resource(ids[0]!, ids[2]!, version), path) };
    };
    switch (a.kind) {
      case 'write':
        return { op: 'write', path: a.path, mode: 'replace', values: [typed(a.path, renderJson(a.value, ctx))] };
      case 'execute':
        return a.args === undefined ? { op: 'execute', path: a.path } : { op: 'execute', path: a.path, args: renderText(a.args, ctx) };
      case 'create': {
        const base = a.id === undefined ? a.path : `${a.path}/${a.id}`;
        const values = Object.entries(a.resources).map(([rid, v]) => {
          const p = `${base}/${rid}`;
          // Without an instance id, values are named /<oid>/<rid> (operation.ts); type them as /<oid>/0/<rid>.
          const pv = typed(a.id === undefined ? `${a.path}/0/${rid}` : p, renderJson(v, ctx));
          return { ...pv, path: p };
        });
        return a.id === undefined ? { op: 'create', path: a.path, values } : { op: 'create', path: a.path, instanceId: a.id, values };
      }
    }
  }

  async #webhook(a: Extract<CompiledAction, { kind: 'webhook' }>, ctx: TemplateContext, chain: string[], dryRun: boolean): Promise<ActionOutcome> {
    const out: ActionOutcome = { kind: 'webhook', target: a.url, status: 'skipped' };
    let body: Json;
    let url: string;
    try {
      url = renderText(a.url, ctx);
      body = a.body === undefined ? defaultBody(ctx, chain) : renderJson(a.body, ctx);
    } catch (e) {
      return Object.assign({}, out, { status: 'failed', reason: reasonOf(e) });
    }
    if (dryRun) return Object.assign({}, out, { target: url, status: 'dry-run' });
    const r = await callWebhook({ url, method: a.method, headers: a.headers, body, retries: a.retries, timeoutMs: a.timeoutMs }, { clock: this.#o.clock, ...(this.#o.webhookBackoffMs !== undefined ? { backoffMs: this.#o.webhookBackoffMs } : {}) });
    const done: ActionOutcome = Object.assign({}, out, { target: url, status: r.ok ? 'done' : 'failed', attempts: r.attempts });
    if (r.status !== undefined) done.code = String(r.status);
    if (!r.ok && r.error !== undefined) done.reason = r.error;
    return done;
  }
}

function defaultBody(ctx: TemplateContext, chain: string[]): Json {
  const trigger: Record<string, Json> = { endpoint: ctx.endpoint, value: ctx.scalar, timestamp: new Date(ctx.at).toISOString() };
  if (ctx.path !== undefined) trigger.path = ctx.path;
  return { rule: ctx.rule, trigger, chain };
}

function reasonOf(e: unknown): string {
  if (e instanceof MissingTemplateValue) return e.message;
  if (isLwm2mError(e)) return e.message;
  return e instanceof Error ? e.message : String(e);
}

