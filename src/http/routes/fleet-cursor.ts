import { Lwm2mError } from '../../errors.js';

/** Opaque page cursors: base64url JSON, so clients pass them back without parsing them. */
export function encodeCursor(v: unknown): string {
  return Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
}

export function decodeCursor<T>(raw: string | undefined, guard: (v: unknown) => v is T): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (guard(v)) return v;
  } catch {
    // fall through: a bad cursor is the client's error
  }
  throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'invalid cursor');
}

/** `limit=` between 1 and `max`, else `fallback`. */
export function pageLimit(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `limit must be an integer from 1 to ${max}`);
  return Number(raw);
}

export function isStringPair(v: unknown): v is [string, string] {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string';
}

export function isSortCursor(v: unknown): v is [string | number, string] {
  return Array.isArray(v) && v.length === 2 && (typeof v[0] === 'string' || typeof v[0] === 'number') && typeof v[1] === 'string';
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time from a query: epoch ms, ISO 8601, or a duration ago (`15m`, `2h`, `7d`).
 * Undefined when absent.
 */
export function parseTime(raw: string | undefined, name: string, now: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (/^\d{1,15}$/.test(raw)) return Number(raw);
  const rel = /^(\d{1,9})([smhd])$/.exec(raw);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `${name} must be epoch ms, ISO 8601 or a duration like 15m, 2h, 7d`);
  return t;
}
