import type { Logger } from '../log.js';
import type { BatchOp, BatchWriter } from './batch-writer.js';
import type { Sublevel } from './level-db.js';
import { parseStored } from './level-json.js';
import { decodeEntry, encodeEntry, ringKey, type RingEntry } from './object-store-ring.js';
import { isStoredValue } from './object-store-values.js';
import { SEP } from './store-keys.js';

const CHUNK = 5000;

/**
 * Brings history written by an earlier version, or under another ring size, into the ring
 * layout of `size` slots (object-store-ring.ts), before the store takes writes:
 *  - `legacy` (obj-hist: "<ep> <path> <time> <tiebreak>" -> StoredValue, oldest first per path)
 *    is copied into rings, newest `size` entries per path, and emptied;
 *  - rings written with another size (`storedSize`) are renumbered into the new size.
 * Unreadable entries are logged and dropped. Returns the number of entries moved.
 */
export async function migrateHistory(o: { legacy: Sublevel; ring: Sublevel; writer: BatchWriter; size: number; storedSize: number | undefined; logger: Logger }): Promise<number> {
  let moved = 0;
  let ops: BatchOp[] = [];
  const emit = async (base: string, entries: RingEntry[]) => {
    const kept = entries.slice(Math.max(0, entries.length - o.size));
    kept.forEach((e, i) => ops.push({ type: 'put', sublevel: o.ring, key: ringKey(base, i, o.size), value: encodeEntry(i, e.time, e.json), valueEncoding: 'utf8' }));
    moved += kept.length;
    if (ops.length >= CHUNK) {
      await o.writer.write(ops);
      ops = [];
    }
  };

  // Former layout: keys sort by time, then arrival, within each path.
  let group: string | undefined;
  let entries: RingEntry[] = [];
  let legacyKeys = 0;
  for await (const [key, raw] of o.legacy.iterator({ valueEncoding: 'utf8' })) {
    legacyKeys++;
    const g = key.slice(0, key.lastIndexOf(SEP, key.lastIndexOf(SEP) - 1));
    if (g !== group) {
      if (group !== undefined) await emit(group, entries);
      group = g;
      entries = [];
    }
    const v = parseStored(raw, isStoredValue, o.logger, 'obj-hist');
    if (v) entries.push({ seq: entries.length, time: v.time, json: raw as string });
  }
  if (group !== undefined) await emit(group, entries);
  if (ops.length > 0) await o.writer.write(ops);
  ops = [];
  if (legacyKeys > 0) {
    await o.writer.flush();
    await o.legacy.clear();
    o.logger.info({ entries: moved }, 'object store history moved to the ring layout');
  }

  if (o.storedSize === undefined || o.storedSize === o.size) return moved;
  // Another ring size: each path's ring is read whole, then written again under the new size
  // (the iterator reads a snapshot, so these writes do not disturb it). Keys of one path are
  // adjacent ("<ep> <path> <slot>"); its old slots are deleted in the same batch, before the puts.
  let current: { base: string; keys: string[]; entries: RingEntry[] } | undefined;
  const rewrite = async (r: { base: string; keys: string[]; entries: RingEntry[] }) => {
    for (const key of r.keys) ops.push({ type: 'del', sublevel: o.ring, key });
    await emit(r.base, r.entries.sort((a, b) => a.seq - b.seq));
  };
  for await (const [key, raw] of o.ring.iterator({ valueEncoding: 'utf8' })) {
    const base = key.slice(0, key.lastIndexOf(SEP));
    if (current?.base !== base) {
      if (current) await rewrite(current);
      current = { base, keys: [], entries: [] };
    }
    current.keys.push(key);
    const e = decodeEntry(raw);
    if (e) current.entries.push(e);
  }
  if (current) await rewrite(current);
  if (ops.length > 0) await o.writer.write(ops);
  o.logger.info({ from: o.storedSize, to: o.size }, 'object store history rings resized');
  return moved;
}
