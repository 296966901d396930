import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin.token';

/**
 * The admin API token: generated at first start, kept in the data folder with mode 0600, and
 * read back on later starts (and by the CLI on the same machine).
 */
export async function ensureAdminToken(dataDir: string): Promise<string> {
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  const existing = await readAdminToken(dataDir);
  if (existing) return existing;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  await chmod(file, 0o600);
  return (await readAdminToken(dataDir)) ?? token;
}

export async function readAdminToken(dataDir: string): Promise<string | undefined> {
  try {
    const text = (await readFile(path.join(dataDir, ADMIN_TOKEN_FILE), 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Constant-time comparison of a presented bearer token with the expected one. */
export function tokenMatches(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
