import { badPayload } from '../errors.js';
import type { DecodeLimits } from './types.js';

/**
 * JSON reading and number writing shared by SenML JSON (RFC 8428 §5) and OMA JSON
 * (LwM2M 1.1 §7.4.5). Reading is bounded: payload size and nesting depth are checked on the
 * raw text before JSON.parse so a hostile payload cannot exhaust the stack or memory.
 */

const lenientUtf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Parses a JSON payload. Invalid UTF-8 inside string values becomes U+FFFD instead of
 * failing the payload: Wakaama's example object returns strings with stray bytes
 * (`"new\xe8gU"` in fixtures/captures/wakaama-create-delete.jsonl). Invalid bytes anywhere
 * else (names, structure) still fail, because U+FFFD is not JSON syntax and not a path.
 */
export function parseJson(payload: Uint8Array, limits: DecodeLimits, what: string): unknown {
  if (payload.length === 0) throw badPayload(`${what}: empty payload`);
  if (payload.length > limits.maxPayloadBytes) throw badPayload(`${what}: payload of ${payload.length} bytes exceeds the limit`);
  const text = lenientUtf8.decode(payload);
  checkDepth(text, limits.maxDepth, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw badPayload(`${what}: invalid JSON (${e instanceof Error ? e.message.slice(0, 80) : 'parse error'})`, '4.00', e);
  }
}

/** Nesting depth of arrays/objects outside strings, checked without parsing. */
function checkDepth(text: string, maxDepth: number, what: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash escapes the next char
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) throw badPayload(`${what}: JSON nested deeper than ${maxDepth}`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/**
 * A number as JSON text. Integral floats keep a ".0" (as Wakaama writes them) so a reader
 * without the model still sees a float; bigints are written exactly.
 */
export function jsonNumber(n: number | bigint, isFloat: boolean): string {
  if (typeof n === 'bigint') return n.toString();
  if (!Number.isFinite(n)) throw badPayload(`JSON cannot carry the number ${n}`);
  const s = String(n);
  return isFloat && /^-?\d+$/.test(s) ? `${s}.0` : s;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Typed field access that turns a wrong JSON type into a 4.00. */
export function field<T extends 'string' | 'number' | 'boolean'>(
  obj: Record<string, unknown>,
  key: string,
  type: T,
  where: string,
): (T extends 'string' ? string : T extends 'number' ? number : boolean) | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== type) throw badPayload(`${where}: "${key}" must be a ${type}`);
  if (type === 'number' && !Number.isFinite(v)) throw badPayload(`${where}: "${key}" is not a finite number`);
  return v as T extends 'string' ? string : T extends 'number' ? number : boolean;
}

/** JSON string literal. */
export function jsonString(s: string): string {
  return JSON.stringify(s);
}
