import type { JsonValue } from '../content/value-json.js';
import type { Scalar } from './expression-parser.js';
import { ruleError } from './rule-error.js';
import type { Json } from './types.js';

/** What `{{...}}` placeholders in actions can refer to: the firing's trigger. */
export interface TemplateContext {
  rule: string;
  endpoint: string;
  path?: string;
  value?: JsonValue;
  scalar: Scalar;
  previous?: Scalar;
  /** Epoch ms of the trigger. */
  at: number;
  tags: Record<string, string>;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;
const NAMES = new Set(['value', 'previous', 'endpoint', 'path', 'timestamp', 'time', 'rule']);

/** A placeholder whose value the trigger does not have (e.g. a tag the device lacks). */
export class MissingTemplateValue extends Error {}

/** Checks every placeholder in a string at validation time. */
export function checkTemplate(text: string, field: string): void {
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1]!;
    if (!NAMES.has(name) && !/^tags\.[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      throw ruleError(field, `unknown placeholder {{${name}}} (known: ${[...NAMES].join(', ')}, tags.<key>)`);
    }
  }
}

export function checkJsonTemplate(v: Json, field: string): void {
  if (typeof v === 'string') checkTemplate(v, field);
  else if (Array.isArray(v)) v.forEach((x, i) => checkJsonTemplate(x, `${field}[${i}]`));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) checkJsonTemplate(x, `${field}.${k}`);
}

export function hasTemplate(text: string): boolean {
  PLACEHOLDER.lastIndex = 0;
  return PLACEHOLDER.test(text);
}

function lookup(name: string, c: TemplateContext): Json {
  switch (name) {
    case 'value':
      return c.scalar;
    case 'previous':
      return c.previous ?? null;
    case 'endpoint':
      return c.endpoint;
    case 'path':
      if (c.path === undefined) throw new MissingTemplateValue('the trigger has no path');
      return c.path;
    case 'timestamp':
      return new Date(c.at).toISOString();
    case 'time':
      return c.at;
    case 'rule':
      return c.rule;
    default: {
      const key = name.slice('tags.'.length);
      const v = c.tags[key];
      if (v === undefined) throw new MissingTemplateValue(`the device "${c.endpoint}" has no tag "${key}"`);
      return v;
    }
  }
}

/** A string with placeholders → a string; a string that is exactly one placeholder keeps its type. */
export function renderString(text: string, c: TemplateContext): Json {
  const whole = /^\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}$/.exec(text);
  if (whole) return lookup(whole[1]!, c);
  return text.replace(PLACEHOLDER, (_m, name: string) => {
    const v = lookup(name, c);
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

export function renderText(text: string, c: TemplateContext): string {
  const v = renderString(text, c);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function renderJson(v: Json, c: TemplateContext): Json {
  if (typeof v === 'string') return renderString(v, c);
  if (Array.isArray(v)) return v.map((x) => renderJson(x, c));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderJson(x, c)]));
  return v;
}
