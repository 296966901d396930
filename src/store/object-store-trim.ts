import type { Logger } from '../log.js';
import type { BatchOp, BatchWriter } from './batch-writer.js';
import type { Sublevel } from './level-db.js';
import { decodeEntry, encodeEntry, pathKeyOf, readEntries, ringKey } from './object-store-ring.js';
import type { DeviceState } from './object-store-state.js';
import { HIGH, SEP } from './store-keys.js';

/**
 * Retention by age over the history rings (object-store-ring.ts). The count bound needs no
 * work: a ring never holds more than its size. Age does: one pass over the ring sublevel (only
 * the entry heads are decoded, not the values) finds the endpoints holding an entry older than
 * the cutoff; the store then expires each of them under its lock (expireEndpoint).
 */
export async function endpointsWithExpired(ring: Sublevel, cutoff: number): Promise<Set<string>> {
  const out = new Set<string>();
  let skipTo: string | undefined;
  for await (const [key, raw] of ring.iterator({ valueEncoding: 'utf8' })) {
    const epKey = key.slice(0, key.indexOf(SEP));
    if (epKey === skipTo) continue;
    const e = decodeEntry(raw);
    if (e && e.time < cutoff) {
      out.add(epKey);
      skipTo = epKey;
    }
  }
  return out;
}

/**
 * Deletes one endpoint's expired history entries (the caller holds its lock and has flushed)
 * and corrects its cached state, if any. Returns the number deleted. A ring must keep
 * consecutive sequence numbers (its next write goes to the slot after them): when the entries
 * left are not, as after a late value expired from the middle, they are numbered again, in time
 * order, ending where the ring did.
 */
export async function expireEndpoint(o: { ring: Sublevel; writer: BatchWriter; logger: Logger; epKey: string; cutoff: number; size: number; device: DeviceState | undefined }): Promise<number> {
  const entries = await readEntries(o.ring, { gte: o.epKey + SEP, lt: o.epKey + SEP + HIGH }, o.logger);
  const byPath = new Map<string, typeof entries>();
  for (const e of entries) {
    const pk = pathKeyOf(e.key, o.epKey);
    byPath.get(pk)?.push(e) ?? byPath.set(pk, [e]);
  }
  const ops: BatchOp[] = [];
  let removed = 0;
  for (const [pk, list] of byPath) {
    const gone = list.filter((e) => e.entry.time < o.cutoff);
    if (gone.length === 0) continue;
    removed += gone.length;
    for (const e of gone) ops.push({ type: 'del', sublevel: o.ring, key: e.key });
    const slot = o.device ? o.device.slot(pk) : -1;
    const next = o.device && slot >= 0 ? o.device.nextSeq(slot) : Math.max(...list.map((e) => e.entry.seq)) + 1;
    const left = list.filter((e) => e.entry.time >= o.cutoff).sort((a, b) => a.entry.seq - b.entry.seq);
    const consecutive = left.every((e, i) => e.entry.seq === next - left.length + i);
    const inOrder = left.every((e, i) => i === 0 || e.entry.time >= left[i - 1]!.entry.time);
    if (!consecutive) {
      left.sort((a, b) => a.entry.time - b.entry.time || a.entry.seq - b.entry.seq);
      const base = o.epKey + SEP + pk;
      for (const e of left) ops.push({ type: 'del', sublevel: o.ring, key: e.key });
      left.forEach((e, i) => {
        const seq = next - left.length + i;
        ops.push({ type: 'put', sublevel: o.ring, key: ringKey(base, seq, o.size), value: encodeEntry(seq, e.entry.time, e.entry.json), valueEncoding: 'utf8' });
      });
    }
    if (o.device && slot >= 0) {
      const newest = left.length > 0 ? Math.max(...left.map((e) => e.entry.time)) : -Infinity;
      o.device.setRing(slot, left.length, next, newest, !consecutive || inOrder);
    }
  }
  if (ops.length > 0) await o.writer.write(ops);
  return removed;
}
