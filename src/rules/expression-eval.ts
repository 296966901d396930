import type { JsonValue } from '../content/value-json.js';
import type { CompareOp, Expr, Scalar } from './expression-parser.js';

/** The state a condition keeps between values (per rule, per device and path). */
export interface ConditionState {
  /** Crossing band of a `crosses` call: undefined until the first value. */
  band(site: number): 'high' | 'low' | undefined;
  setBand(site: number, band: 'high' | 'low'): void;
}

export interface EvalInput {
  value: Scalar;
  /** The value seen before this one for the same device and path; undefined for the first. */
  previous: Scalar | undefined;
  endpoint: string;
  path: string;
  /** Prefetched `latest("ep:/path")` values by "ep:/path" (null: nothing stored). */
  latest: ReadonlyMap<string, Scalar>;
  state: ConditionState;
}

/** A stored/reported value as the condition sees it: numbers, strings, booleans. */
export function scalarOf(v: JsonValue | undefined): Scalar {
  if (v === undefined) return null;
  switch (v.type) {
    case 'integer':
    case 'unsigned':
      return typeof v.value === 'string' ? Number(v.value) : v.value;
    case 'none':
      return null;
    default:
      return v.value;
  }
}

export function latestKey(endpoint: string, path: string): string {
  return `${endpoint}:${path}`;
}

/**
 * Evaluates a condition. `and`/`or` evaluate both sides on purpose: a `crosses` call must see
 * every value to keep its band right, even when the other side already decides the result.
 */
export function evaluate(e: Expr, input: EvalInput): Scalar {
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'var':
      if (e.name === 'value') return input.value;
      if (e.name === 'previous') return input.previous ?? null;
      return e.name === 'endpoint' ? input.endpoint : input.path;
    case 'neg': {
      const v = evaluate(e.e, input);
      return typeof v === 'number' ? -v : null;
    }
    case 'not':
      return !truthy(evaluate(e.e, input));
    case 'and': {
      const a = truthy(evaluate(e.a, input));
      const b = truthy(evaluate(e.b, input));
      return a && b;
    }
    case 'or': {
      const a = truthy(evaluate(e.a, input));
      const b = truthy(evaluate(e.b, input));
      return a || b;
    }
    case 'cmp':
      return compare(e.op, evaluate(e.a, input), evaluate(e.b, input));
    case 'changed':
      return changed(input.value, input.previous, e.delta);
    case 'crosses':
      return crosses(e, input);
    case 'latest':
      return input.latest.get(latestKey(e.endpoint, e.path)) ?? null;
  }
}

export function truthy(v: Scalar): boolean {
  return v !== null && v !== false && v !== 0 && v !== '';
}

function changed(value: Scalar, previous: Scalar | undefined, delta: number): boolean {
  // The first value a rule sees counts as a change.
  if (previous === undefined) return true;
  if (typeof value === 'number' && typeof previous === 'number') return Math.abs(value - previous) > delta || (delta === 0 && value !== previous);
  return value !== previous;
}

/**
 * Threshold crossing with hysteresis: the value is "high" at or above x + h and "low" below
 * x - h; in between it keeps its band. A crossing is a change of band, so a value dithering
 * around x fires once, not on every sample.
 */
function crosses(e: Extract<Expr, { k: 'crosses' }>, input: EvalInput): boolean {
  const v = input.value;
  if (typeof v !== 'number') return false;
  const old = input.state.band(e.site);
  const band = v >= e.x + e.h ? 'high' : v < e.x - e.h ? 'low' : old;
  if (band === undefined) return false;
  if (band !== old) input.state.setBand(e.site, band);
  if (old === undefined || band === old) return false;
  return e.dir === 'both' || (e.dir === 'up' ? band === 'high' : band === 'low');
}

function compare(op: CompareOp, a: Scalar, b: Scalar): boolean {
  // A boolean resource compares with 1/0 too (text/plain carries booleans as 1 and 0).
  if (typeof a === 'boolean' && typeof b === 'number') a = a ? 1 : 0;
  if (typeof b === 'boolean' && typeof a === 'number') b = b ? 1 : 0;
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    default: {
      if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) return false;
      if (op === '<') return a < b;
      if (op === '<=') return a <= b;
      if (op === '>') return a > b;
      return a >= b;
    }
  }
}
