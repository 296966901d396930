import { parseAttributeQuery, type AttributeUpdate } from '../content/link-attributes.js';
import { isLwm2mError } from '../errors.js';
import { coerce } from '../lwm2m/management/value-input.js';
import type { ModelLookup } from '../model/types.js';
import { parseDuration, parseRate, parseWindow, type Rate, type TimeWindow } from './duration.js';
import { parseCondition, type Condition } from './expression-parser.js';
import { ruleError } from './rule-error.js';
import { parseActionPath, parseDevices, parsePathPattern, splitTarget, type DeviceSelector, type PathPattern } from './selector.js';
import { checkJsonTemplate, checkTemplate, hasTemplate } from './template.js';
import type { Json, RuleSpec, StoredRule } from './types.js';

export type Trigger = { kind: 'value'; devices: DeviceSelector; path: PathPattern } | { kind: 'registered' | 'deregistered' | 'expired'; devices: DeviceSelector };

/** Device actions keep the selector text: it may hold templates filled in at firing time. */
export type CompiledAction =
  | { kind: 'write'; devices: string; path: string; value: Json }
  | { kind: 'execute'; devices: string; path: string; args?: string }
  | { kind: 'create'; devices: string; path: string; id?: number; resources: Record<string, Json> }
  | { kind: 'webhook'; url: string; method: 'POST' | 'PUT'; headers: Record<string, string>; body?: Json; retries: number; timeoutMs: number };

export interface CompiledRule {
  name: string;
  stored: StoredRule;
  trigger: Trigger;
  condition?: Condition;
  forMs?: number;
  window?: TimeWindow;
  rate?: Rate;
  actions: CompiledAction[];
  observe?: AttributeUpdate;
}

const RULE_KEYS = new Set(['when', 'if', 'for', 'during', 'timezone', 'then', 'rate', 'observe', 'description']);
const MAX_ACTIONS = 32;

export function checkRuleName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    throw ruleError('name', 'a rule name is 1-64 letters, digits, "_", "." or "-", starting with a letter or digit');
  }
  return name;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw ruleError(field, 'must be a non-empty string');
  return v.trim();
}

function onlyKeys(o: Record<string, unknown>, keys: readonly string[], field: string): void {
  const unknown = Object.keys(o).find((k) => !keys.includes(k));
  if (unknown !== undefined) throw ruleError(field, `unknown key "${unknown}" (allowed: ${keys.join(', ')})`);
}

/** Checks a rule as given (API body, file) and returns it in its canonical stored shape. */
export function checkSpec(input: unknown): RuleSpec {
  if (!isObject(input)) throw ruleError('rule', 'must be a JSON object with "when" and "then"');
  const unknown = Object.keys(input).find((k) => !RULE_KEYS.has(k));
  if (unknown !== undefined) throw ruleError(unknown, `unknown key (allowed: ${[...RULE_KEYS].join(', ')})`);
  // Built key by key in reading order (when, if, ..., then): the stored rule reads like the file.
  const spec: Partial<RuleSpec> = { when: str(input.when, 'when') };
  if (input.if !== undefined) spec.if = str(input.if, 'if');
  for (const k of ['for', 'during', 'timezone', 'rate', 'description'] as const) if (input[k] !== undefined) spec[k] = str(input[k], k);
  if (input.observe !== undefined) {
    if (!isObject(input.observe) || !Object.values(input.observe).every((v) => typeof v === 'number')) throw ruleError('observe', 'must be an object of attributes, e.g. {"pmin": 1, "pmax": 300}');
    spec.observe = input.observe as Record<string, number>;
  }
  if (!Array.isArray(input.then) || input.then.length === 0) throw ruleError('then', 'must be a non-empty list of actions');
  if (input.then.length > MAX_ACTIONS) throw ruleError('then', `at most ${MAX_ACTIONS} actions`);
  spec.then = input.then as RuleSpec['then'];
  return spec as RuleSpec;
}

/** Compiles a stored rule; every error names the field. `models` checks literal write values. */
export function compileRule(stored: StoredRule, models?: ModelLookup): CompiledRule {
  const spec = checkSpec(stored.spec);
  const rule: CompiledRule = { name: checkRuleName(stored.name), stored: { ...stored, spec }, trigger: compileTrigger(spec.when), actions: [] };
  if (spec.if !== undefined) {
    rule.condition = parseCondition(spec.if, 'if');
    if (rule.trigger.kind !== 'value' && rule.condition.latest.length === 0 && usesValue(spec.if)) {
      throw ruleError('if', `a "${rule.trigger.kind}" trigger has no value to test`);
    }
  }
  const forMs = spec.for !== undefined ? parseDuration(spec.for, 'for') : rule.condition?.forMs;
  if (spec.for !== undefined && rule.condition?.forMs !== undefined) throw ruleError('for', 'given twice (in "if" and as "for")');
  if (forMs !== undefined) {
    if (rule.trigger.kind !== 'value') throw ruleError('for', 'a debounce needs a value trigger');
    rule.forMs = forMs;
  }
  if (spec.during !== undefined) rule.window = parseWindow(spec.during, spec.timezone, 'during');
  else if (spec.timezone !== undefined) throw ruleError('timezone', 'only meaningful with "during"');
  if (spec.rate !== undefined) rule.rate = parseRate(spec.rate, 'rate');
  if (spec.observe !== undefined) {
    if (rule.trigger.kind !== 'value') throw ruleError('observe', 'attributes need a value trigger');
    try {
      rule.observe = parseAttributeQuery(Object.entries(spec.observe).map(([k, v]) => `${k}=${v}`));
    } catch (e) {
      throw ruleError('observe', isLwm2mError(e) ? e.message : String(e));
    }
  }
  rule.actions = spec.then.map((a, i) => compileAction(a, `then[${i}]`, models));
  return rule;
}

function usesValue(src: string): boolean {
  return /\b(value|previous|changed|crosses\w*)\b/.test(src.replace(/(["']).*?\1/g, ''));
}

function compileTrigger(when: string): Trigger {
  const ev = /^(registered|deregistered|expired):(.+)$/.exec(when);
  if (ev) return { kind: ev[1] as 'registered', devices: parseDevices(ev[2]!, 'when') };
  const { devices, path } = splitTarget(when, 'when');
  if (hasTemplate(when)) throw ruleError('when', 'placeholders are for actions only');
  return { kind: 'value', devices: parseDevices(devices, 'when'), path: parsePathPattern(path, 'when') };
}

function deviceTarget(text: unknown, field: string, level: 'object' | 'resource' | 'any'): { devices: string; path: string } {
  const { devices, path } = splitTarget(str(text, field), field);
  checkTemplate(devices, field);
  // A selector without placeholders is checked now; one with them when it is filled in.
  if (!hasTemplate(devices)) parseDevices(devices, field);
  return { devices, path: parseActionPath(path, field, level) };
}

function compileAction(a: unknown, field: string, models?: ModelLookup): CompiledAction {
  if (!isObject(a)) throw ruleError(field, 'an action is an object: {"write": ...}, {"execute": ...}, {"create": ...} or {"webhook": ...}');
  if ('write' in a) {
    onlyKeys(a, ['write', 'value'], field);
    const t = deviceTarget(a.write, `${field}.write`, 'resource');
    if (a.value === undefined) throw ruleError(`${field}.value`, 'a write needs a value');
    const value = a.value as Json;
    checkJsonTemplate(value, `${field}.value`);
    if (models && !(typeof value === 'string' && hasTemplate(value))) checkValue(t.path, value, models, `${field}.value`);
    return { kind: 'write', ...t, value };
  }
  if ('execute' in a) {
    onlyKeys(a, ['execute', 'args'], field);
    const t = deviceTarget(a.execute, `${field}.execute`, 'any');
    const out: CompiledAction = { kind: 'execute', ...t };
    if (a.args !== undefined) {
      out.args = str(a.args, `${field}.args`);
      checkTemplate(out.args, `${field}.args`);
    }
    return out;
  }
  if ('create' in a) {
    onlyKeys(a, ['create', 'id', 'resources'], field);
    const t = deviceTarget(a.create, `${field}.create`, 'object');
    const resources = a.resources ?? {};
    if (!isObject(resources) || !Object.keys(resources).every((k) => /^\d{1,5}$/.test(k))) throw ruleError(`${field}.resources`, 'must be an object keyed by resource id');
    checkJsonTemplate(resources as Json, `${field}.resources`);
    const out: CompiledAction = { kind: 'create', ...t, resources: resources as Record<string, Json> };
    if (a.id !== undefined) {
      if (typeof a.id !== 'number' || !Number.isInteger(a.id) || a.id < 0 || a.id > 65534) throw ruleError(`${field}.id`, 'must be an instance id 0..65534');
      out.id = a.id;
    }
    return out;
  }
  if ('webhook' in a) return compileWebhook(a, field);
  throw ruleError(field, `unknown action (keys: ${Object.keys(a).join(', ') || 'none'}); use write, execute, create or webhook`);
}

function compileWebhook(a: Record<string, unknown>, field: string): CompiledAction {
  onlyKeys(a, ['webhook', 'method', 'headers', 'body', 'retries', 'timeoutMs'], field);
  const url = str(a.webhook, `${field}.webhook`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw ruleError(`${field}.webhook`, `"${url}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw ruleError(`${field}.webhook`, 'only http and https URLs');
  const method = a.method ?? 'POST';
  if (method !== 'POST' && method !== 'PUT') throw ruleError(`${field}.method`, 'must be POST or PUT');
  const headers = a.headers ?? {};
  if (!isObject(headers) || !Object.values(headers).every((v) => typeof v === 'string')) throw ruleError(`${field}.headers`, 'must be an object of strings');
  const retries = a.retries ?? 3;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > 10) throw ruleError(`${field}.retries`, 'must be 0..10');
  const timeoutMs = a.timeoutMs ?? 5000;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) throw ruleError(`${field}.timeoutMs`, 'must be 100..60000');
  const out: CompiledAction = { kind: 'webhook', url, method, headers: headers as Record<string, string>, retries, timeoutMs };
  if (a.body !== undefined) {
    checkJsonTemplate(a.body as Json, `${field}.body`);
    out.body = a.body as Json;
  }
  return out;
}

function checkValue(path: string, value: Json, models: ModelLookup, field: string): void {
  const [oid, , rid] = path.split('/').slice(1).map(Number);
  if (rid === undefined) return;
  try {
    coerce(value, models.resource(oid!, rid), path);
  } catch (e) {
    throw ruleError(field, isLwm2mError(e) ? e.message : String(e));
  }
}
