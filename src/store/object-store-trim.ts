import type { BatchOp, BatchWriter } from './batch-writer.js';
import type { Sublevel } from './level-db.js';
import { SEP } from './store-keys.js';

export interface TrimJob {
  hist: Sublevel;
  writer: BatchWriter;
  maxEntries: number;
  /** Entries whose time is below this (epoch ms) go. */
  cutoff: number;
  /** Told how many entries a path kept, to correct the write path's counters. */
  onGroup(epKey: string, pathKey: string, kept: number): void;
}

const CHUNK = 5000;

/**
 * Applies the retention policy to the whole history sublevel in one pass over its keys
 * (values are not read). Keys of one (endpoint, path) are adjacent and oldest first, so each
 * group is decided on its own: entries older than the cutoff go, and then the oldest beyond
 * maxEntries. Deletes are written in chunks so memory stays flat on a large store.
 * Returns the number of entries removed.
 */
export async function trimHistory(job: TrimJob): Promise<number> {
  let removed = 0;
  let ops: BatchOp[] = [];
  let group: string | undefined;
  let keys: string[] = [];

  const closeGroup = async () => {
    if (group === undefined) return;
    let drop = 0;
    while (drop < keys.length && timeOf(keys[drop] as string) < job.cutoff) drop++;
    drop = Math.max(drop, keys.length - job.maxEntries);
    for (let i = 0; i < drop; i++) ops.push({ type: 'del', sublevel: job.hist, key: keys[i] as string });
    removed += drop;
    const cut = group.indexOf(SEP);
    job.onGroup(group.slice(0, cut), group.slice(cut + 1), keys.length - drop);
    if (ops.length >= CHUNK) {
      await job.writer.write(ops);
      ops = [];
    }
  };

  for await (const key of job.hist.keys()) {
    const g = groupOf(key);
    if (g !== group) {
      await closeGroup();
      group = g;
      keys = [];
    }
    keys.push(key);
  }
  await closeGroup();
  if (ops.length > 0) await job.writer.write(ops);
  return removed;
}

/** "<ep>\0<path>" of "<ep>\0<path>\0<time>\0<tiebreak>". */
function groupOf(key: string): string {
  return key.slice(0, key.lastIndexOf(SEP, key.lastIndexOf(SEP) - 1));
}

function timeOf(key: string): number {
  const end = key.lastIndexOf(SEP);
  return Number(key.slice(key.lastIndexOf(SEP, end - 1) + 1, end));
}
