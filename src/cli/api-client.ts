import path from 'node:path';
import { readAdminToken } from '../http/admin-token.js';

/** A failure the CLI reports as one line on stderr with a non-zero exit. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export interface ApiTarget {
  url: string;
  token: string;
}

/** `--url`, then the token from LWM2M_TOKEN or `<data>/admin.token`. */
export async function resolveTarget(opts: { url?: string; data?: string }): Promise<ApiTarget> {
  const url = (opts.url ?? process.env.LWM2M_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  try {
    new URL(url);
  } catch {
    throw new CliError(`invalid --url "${url}"`);
  }
  const dataDir = path.resolve(opts.data ?? process.env.LWM2M_DATA ?? './data');
  const token = process.env.LWM2M_TOKEN ?? (await readAdminToken(dataDir).catch(() => undefined));
  if (!token) throw new CliError(`no API token: set LWM2M_TOKEN or point --data at the server's data folder (no ${path.join(dataDir, 'admin.token')})`);
  return { url, token };
}

/** Calls the management API; maps transport failures and error bodies to CliError. */
export async function apiCall<T>(target: ApiTarget, method: string, route: string, body?: unknown, opts: { acceptErrorBody?: boolean } = {}): Promise<T> {
  let res: Response;
  try {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${target.token}` } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { ...init.headers, 'content-type': 'application/json' };
    }
    res = await fetch(`${target.url}${route}`, init);
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new CliError(`cannot reach the server at ${target.url} (${cause}): is "lwm2m serve" running?`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new CliError(`the server at ${target.url} answered ${res.status} with a body that is not JSON`);
  }
  // Operation routes answer failures with a result body (ok: false) the caller prints itself.
  if (!res.ok && opts.acceptErrorBody && json && typeof json === 'object' && 'ok' in json) return json as T;
  if (!res.ok) {
    const err = (json as { error?: { message?: string; code?: string } } | undefined)?.error;
    throw new CliError(err?.message ? `${err.message} (${err.code ?? res.status})` : `the server answered HTTP ${res.status}`);
  }
  return json as T;
}
