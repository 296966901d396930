import { mkdir } from 'node:fs/promises';
import type { AbstractSublevel } from 'abstract-level';
import { Level } from 'level';
import { Lwm2mError } from '../errors.js';

/** The one LevelDB database of a server; each store lives in its own sublevel. */
export type Database = Level<string, unknown>;
export type Sublevel = AbstractSublevel<Database, string | Buffer | Uint8Array, string, unknown>;

export async function openDatabase(dir: string): Promise<Database> {
  // 0700 for every folder made here, the data folder too when this makes it first: it holds keys.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const db = new Level<string, unknown>(dir, { valueEncoding: 'json' });
  try {
    await db.open();
  } catch (e) {
    // classic-level's "Database failed to open" says why in its cause (LEVEL_LOCKED: the LOCK
    // file is held, by another server on the same data folder).
    const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') throw new Lwm2mError('LWM2M_ERR_STORE', `cannot open LevelDB at ${dir}: another process (a server on the same data folder?) holds it`, { cause: e });
    const why = typeof cause?.message === 'string' ? `${(e as Error).message}: ${cause.message}` : (e as Error).message;
    throw new Lwm2mError('LWM2M_ERR_STORE', `cannot open LevelDB at ${dir}: ${why}`, { cause: e });
  }
  return db;
}

export function sublevel(db: Database, name: string): Sublevel {
  return db.sublevel<string, unknown>(name, { valueEncoding: 'json' });
}
