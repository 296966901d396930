import { BatchWriter } from '../store/batch-writer.js';
import { sublevel, type Database, type Sublevel } from '../store/level-db.js';
import { isRecord, readRange } from '../store/level-json.js';
import { HIGH, joinKey, seqKey, timeKey } from '../store/store-keys.js';
import { Lwm2mError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { AuditEntry, AuditQuery, AuditStore } from './types.js';

function isAuditEntry(v: unknown): v is AuditEntry {
  return isRecord(v) && typeof v.seq === 'number' && typeof v.at === 'number' && isRecord(v.actor) && typeof v.action === 'string';
}

/** "1700000000000.7" -> [at, seq]; anything else is a bad request. */
export function parseAuditCursor(cursor: string): [number, number] {
  const m = /^(\d{1,15})\.(\d{1,16})$/.exec(cursor);
  if (!m) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `invalid audit cursor "${cursor}"`);
  return [Number(m[1]), Number(m[2])];
}

function entryKey(at: number, seq: number): string {
  return joinKey(timeKey(at), seqKey(seq));
}

const DEFAULT_LIMIT = 1000;

export class MemoryAuditStore implements AuditStore {
  readonly #entries: AuditEntry[] = [];
  #seq = 0;

  async append(entry: Omit<AuditEntry, 'seq'>): Promise<AuditEntry> {
    const e: AuditEntry = Object.assign({}, entry, { seq: ++this.#seq });
    this.#entries.push(e);
    // Keep (at, seq) order even when a clock steps back.
    this.#entries.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return e;
  }

  async list(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const after = q.after === undefined ? undefined : entryKey(...parseAuditCursor(q.after));
    const out: AuditEntry[] = [];
    for (const e of this.#entries) {
      if (q.since !== undefined && e.at < q.since) continue;
      if (q.until !== undefined && e.at > q.until) break;
      if (after !== undefined && entryKey(e.at, e.seq) <= after) continue;
      out.push(e);
      if (out.length >= (q.limit ?? DEFAULT_LIMIT)) break;
    }
    return out;
  }

  async close(): Promise<void> {}
}

/** Sublevel "audit", key = `<time> <seq>`, so a time range is one range scan. */
export class LevelAuditStore implements AuditStore {
  readonly #sub: Sublevel;
  readonly #writer: BatchWriter;
  readonly #log: Logger;
  #seq = 0;

  private constructor(db: Database, writer: BatchWriter, logger: Logger) {
    this.#sub = sublevel(db, 'audit');
    this.#writer = writer;
    this.#log = logger;
  }

  static async open(db: Database, o: { writer?: BatchWriter; logger?: Logger } = {}): Promise<LevelAuditStore> {
    const s = new LevelAuditStore(db, o.writer ?? new BatchWriter(db), o.logger ?? silentLogger());
    // The highest seq is not necessarily in the last key (clock steps), so read them all once:
    // the audit log is written by operators, a few entries a minute.
    for await (const key of s.#sub.keys()) {
      const seq = Number(key.slice(key.lastIndexOf('\x00') + 1));
      if (Number.isFinite(seq) && seq > s.#seq) s.#seq = seq;
    }
    return s;
  }

  async append(entry: Omit<AuditEntry, 'seq'>): Promise<AuditEntry> {
    const e: AuditEntry = Object.assign({}, entry, { seq: ++this.#seq });
    await this.#writer.write([{ type: 'put', sublevel: this.#sub, key: entryKey(e.at, e.seq), value: e }]);
    return e;
  }

  async list(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const range: { gte?: string; gt?: string; lt: string; limit: number } = { lt: q.until === undefined ? HIGH : timeKey(q.until + 1), limit: q.limit ?? DEFAULT_LIMIT };
    const since = q.since === undefined ? undefined : timeKey(q.since);
    const after = q.after === undefined ? undefined : entryKey(...parseAuditCursor(q.after));
    if (after !== undefined && (since === undefined || after >= since)) range.gt = after;
    else if (since !== undefined) range.gte = since;
    return (await readRange(this.#sub, range, isAuditEntry, this.#log, 'audit')).map((r) => r.value);
  }

  async close(): Promise<void> {
    await this.#writer.flush();
  }
}
