import type { Logger } from '../log.js';
import type { Sublevel } from './level-db.js';
import { HIGH, SEP } from './store-keys.js';

/*
 * The history of one (endpoint, path) in LevelDB is a ring of at most `size` entries:
 *
 *   obj-ring:  <endpoint> <path> <slot>  ->  {"s":<seq>,"t":<time>,"v":<StoredValue>}
 *
 * Each entry gets the path's next sequence number and lives in slot `seq % size`; the numbers
 * in use are consecutive, so once the ring is full a write overwrites the entry that came first:
 * the count bound needs no scan and no delete (a delete leaves a tombstone that every later range
 * scan of the path walks over, which is what made the former trim-by-scan slow). Readers sort by
 * time. For the overwritten entry to be the oldest by time, as the count bound says, a full ring
 * must be sorted (sequence order = time order): a value older than its newest entry (historical
 * data, rare) makes the store re-sort that ring under a lock (mergeRing) once it is full.
 * `s` and `t` come first so a scan can read them without parsing the value.
 */

/** One history entry as stored: sequence number, time, and the StoredValue's JSON text. */
export interface RingEntry {
  seq: number;
  time: number;
  json: string;
}

export function ringKey(base: string, seq: number, size: number): string {
  return base + SEP + (seq % size);
}

/** `base` is "<endpoint key> SEP <path key>"; the range holds that path's ring slots. */
export function ringRange(base: string): { gte: string; lt: string } {
  return { gte: base + SEP, lt: base + SEP + HIGH };
}

export function encodeEntry(seq: number, time: number, json: string): string {
  return '{"s":' + seq + ',"t":' + time + ',"v":' + json + '}';
}

const HEAD = '{"s":';
const TIME = ',"t":';
const VALUE = ',"v":';

/** The entry of a stored text, or undefined when it is not one (the value is checked later). */
export function decodeEntry(raw: unknown): RingEntry | undefined {
  if (typeof raw !== 'string' || !raw.startsWith(HEAD) || !raw.endsWith('}')) return undefined;
  const t = raw.indexOf(TIME, HEAD.length);
  const v = t < 0 ? -1 : raw.indexOf(VALUE, t + TIME.length);
  if (v < 0) return undefined;
  const seq = Number(raw.slice(HEAD.length, t));
  const time = Number(raw.slice(t + TIME.length, v));
  if (!Number.isSafeInteger(seq) || seq < 0 || !Number.isFinite(time)) return undefined;
  return { seq, time, json: raw.slice(v + VALUE.length, -1) };
}

/** The path key of a ring key "<endpoint key> SEP <path key> SEP <slot>". */
export function pathKeyOf(ringKeyText: string, epKey: string): string {
  return ringKeyText.slice(epKey.length + 1, ringKeyText.lastIndexOf(SEP));
}

/** Every readable entry of a key range, with its key; unreadable ones are logged and skipped. */
export async function readEntries(ring: Sublevel, range: { gte: string; lt: string }, logger: Logger): Promise<{ key: string; entry: RingEntry }[]> {
  const out: { key: string; entry: RingEntry }[] = [];
  for (const [key, raw] of await ring.iterator({ ...range, valueEncoding: 'utf8' }).all()) {
    const entry = decodeEntry(raw);
    if (entry) out.push({ key, entry });
    // Keys are not logged: they hold endpoint names, which we keep out of warnings here.
    else logger.warn({ store: 'obj-ring' }, 'store entry has an unexpected shape; skipped');
  }
  return out;
}

/** A value to add to a ring: its time and JSON text. */
export interface NewEntry {
  time: number;
  json: string;
}

/**
 * A path's ring after adding `added` (in arrival order) to what it holds: every entry sorted by
 * time (equal times in arrival order: stored ones by sequence number, then the new ones), the
 * newest `size` kept, numbered so that the ring continues after `nextSeq`. With c stored and a
 * added, the new numbers are [nextSeq + a - k, nextSeq + a) for k = min(size, c + a) kept: they
 * cover every slot the stored entries used, so none survives stale. `was` is a stored entry's
 * former number: an entry whose number did not change needs no write.
 */
export function mergeRing(stored: readonly RingEntry[], added: readonly NewEntry[], nextSeq: number, size: number): { entries: (RingEntry & { was?: number })[]; nextSeq: number } {
  const all: { time: number; json: string; order: number; was?: number }[] = [...stored].sort((a, b) => a.seq - b.seq).map((e, i) => ({ time: e.time, json: e.json, order: i, was: e.seq }));
  added.forEach((e, i) => all.push({ time: e.time, json: e.json, order: stored.length + i }));
  all.sort((a, b) => a.time - b.time || a.order - b.order);
  const kept = all.slice(Math.max(0, all.length - size));
  const end = nextSeq + added.length;
  const first = end - kept.length;
  return {
    entries: kept.map((e, i) => (e.was === undefined ? { seq: first + i, time: e.time, json: e.json } : { seq: first + i, time: e.time, json: e.json, was: e.was })),
    nextSeq: end,
  };
}
