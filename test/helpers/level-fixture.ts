import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../src/store/level-db.js';
import type { StoreFixture } from '../_suites/registration-store.js';

/** A LevelDB-backed store in a fresh temporary folder; dispose closes it and deletes the folder. */
export async function levelFixture<S extends { close(): Promise<void> }>(name: string, open: (db: Database) => Promise<S>): Promise<StoreFixture<S>> {
  const dir = await mkdtemp(path.join(tmpdir(), `lwm2m-${name}-`));
  const db = await openDatabase(dir);
  const store = await open(db);
  const dispose = async () => {
    await store.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { store, dispose };
}
