import { ruleError } from './rule-error.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_MS = 7 * 86_400_000;

/** "500ms", "30s", "5m", "2h", "1d" (also "30 s") → ms, at most a week. */
export function parseDuration(text: string, field: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d)\s*$/.exec(text);
  if (!m) throw ruleError(field, `"${text}" is not a duration such as 500ms, 30s, 5m, 2h`);
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  if (ms <= 0 || ms > MAX_MS) throw ruleError(field, `duration must be above 0 and at most 7d`);
  return Math.round(ms);
}

export interface Rate {
  count: number;
  perMs: number;
}

/** "10/min", "5/s", "100/h" → a bucket size per period. */
export function parseRate(text: string, field: string): Rate {
  const m = /^\s*(\d{1,7})\s*\/\s*(s|sec|m|min|h|d)\s*$/.exec(text);
  if (!m || Number(m[1]) === 0) throw ruleError(field, `"${text}" is not a rate such as 10/min, 5/s, 100/h`);
  return { count: Number(m[1]), perMs: UNITS[m[2]!]! };
}

export interface TimeWindow {
  /** Minutes after midnight, [from, to); wraps midnight when to <= from. */
  from: number;
  to: number;
  timezone: string;
}

/** "18:00-06:30" in an IANA time zone (default UTC). */
export function parseWindow(text: string, timezone: string | undefined, field: string): TimeWindow {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  if (!m) throw ruleError(field, `"${text}" is not a time window such as 18:00-06:00`);
  const [h1, m1, h2, m2] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
  if (h1 > 24 || h2 > 24 || m1 > 59 || m2 > 59) throw ruleError(field, `"${text}" has an invalid time`);
  const tz = timezone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
  } catch {
    throw ruleError('timezone', `unknown time zone "${tz}"`);
  }
  return { from: h1 * 60 + m1, to: h2 * 60 + m2, timezone: tz };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes after local midnight in a time zone. */
function minuteOfDay(at: number, tz: string): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(tz, f);
  }
  let h = 0;
  let min = 0;
  for (const p of f.formatToParts(at)) {
    if (p.type === 'hour') h = Number(p.value);
    if (p.type === 'minute') min = Number(p.value);
  }
  return h * 60 + min;
}

export function inWindow(w: TimeWindow, at: number): boolean {
  const t = minuteOfDay(at, w.timezone);
  return w.from < w.to ? t >= w.from && t < w.to : t >= w.from || t < w.to;
}
