import type { Logger } from '../log.js';
import type { Sublevel } from './level-db.js';

/**
 * Reading stored JSON defensively. Values are read as raw UTF-8 and parsed here rather than by
 * the sublevel's JSON encoding, so one corrupt entry (disk damage, a bug in an older version)
 * is skipped with a warning instead of throwing out of an iterator and stopping the server at
 * start-up. Keys are not logged: some are CoAP tokens, which we keep out of logs.
 */
export function parseStored<T>(raw: unknown, guard: (v: unknown) => v is T, logger: Logger, where: string): T | undefined {
  if (typeof raw !== 'string') {
    logger.warn({ store: where }, 'store entry is not text; skipped');
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    logger.warn({ store: where, err: (e as Error).message }, 'store entry is not valid JSON; skipped');
    return undefined;
  }
  if (!guard(parsed)) {
    logger.warn({ store: where }, 'store entry has an unexpected shape; skipped');
    return undefined;
  }
  return parsed;
}

/** A key range of a sublevel, as LevelDB iterators take it. */
export interface KeyRange {
  gte?: string;
  gt?: string;
  lt?: string;
  lte?: string;
  reverse?: boolean;
  limit?: number;
}

/** Every valid entry of a key range, in key order; invalid ones are logged and skipped. */
export async function readRange<T>(
  sub: Sublevel,
  range: KeyRange,
  guard: (v: unknown) => v is T,
  logger: Logger,
  where: string,
): Promise<{ key: string; value: T }[]> {
  const out: { key: string; value: T }[] = [];
  await forEachStored(sub, range, guard, logger, where, (key, value) => void out.push({ key, value }));
  return out;
}

/** Entries read per step: one step per `nextv` call instead of a promise per entry. */
const CHUNK = 1000;

/**
 * Calls `fn` for every valid entry of a key range, in key order, reading in chunks (a restart
 * loads 100,000 registrations: `for await` over single entries spent more on promises than on
 * the data). Invalid entries are logged and skipped.
 */
export async function forEachStored<T>(
  sub: Sublevel,
  range: KeyRange,
  guard: (v: unknown) => v is T,
  logger: Logger,
  where: string,
  fn: (key: string, value: T) => void,
): Promise<void> {
  const it = sub.iterator({ ...range, valueEncoding: 'utf8' });
  try {
    for (;;) {
      const chunk = await it.nextv(CHUNK);
      if (chunk.length === 0) break;
      for (const [key, raw] of chunk) {
        const value = parseStored(raw, guard, logger, where);
        if (value !== undefined) fn(key, value);
      }
    }
  } finally {
    await it.close();
  }
}

/** One value by key, or undefined when absent or unreadable. */
export async function readOne<T>(sub: Sublevel, key: string, guard: (v: unknown) => v is T, logger: Logger, where: string): Promise<T | undefined> {
  const raw = await sub.get(key, { valueEncoding: 'utf8' });
  return raw === undefined ? undefined : parseStored(raw, guard, logger, where);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
