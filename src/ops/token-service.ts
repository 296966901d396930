import { createHash, randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import { Lwm2mError } from '../errors.js';
import { tokenMatches } from '../http/admin-token.js';
import type { AuditLog } from './audit-log.js';
import type { Actor, ApiTokenRecord, ApiTokenStore } from './types.js';

/** The actor of the admin token in `<data>/admin.token`. */
export const ADMIN_ACTOR: Actor = Object.freeze({ kind: 'token' as const, name: 'admin' });

const NAME = /^[A-Za-z0-9_.@-]{1,64}$/;
/** Recognisable in logs and secret scanners; the rest is 192 random bits. */
const PREFIX = 'lwm2m_';

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** What `token list` shows: never the hash. */
export interface ApiTokenInfo {
  id: string;
  name: string;
  readOnly: boolean;
  createdAt: string;
}

export function tokenInfo(r: ApiTokenRecord): ApiTokenInfo {
  return { id: r.id, name: r.name, readOnly: r.readOnly, createdAt: new Date(r.createdAt).toISOString() };
}

/**
 * Named API tokens besides the admin token: created with a secret shown once, stored only as a
 * SHA-256 hash (a random 192-bit secret needs no slow password hash: there is nothing to
 * brute-force), read-only or full, revocable.
 */
export class ApiTokenService {
  readonly #store: ApiTokenStore;
  readonly #adminToken: string;
  readonly #audit: AuditLog | undefined;
  readonly #clock: Clock;

  constructor(o: { store: ApiTokenStore; adminToken: string; audit?: AuditLog; clock?: Clock }) {
    this.#store = o.store;
    this.#adminToken = o.adminToken;
    this.#audit = o.audit;
    this.#clock = o.clock ?? systemClock;
  }

  /** The actor a presented bearer secret stands for, or undefined. */
  async authenticate(secret: string): Promise<Actor | undefined> {
    if (tokenMatches(secret, this.#adminToken)) return ADMIN_ACTOR;
    if (!secret.startsWith(PREFIX)) return undefined;
    // A lookup by hash: timing reveals nothing about the secret, only about its hash.
    const rec = await this.#store.getByHash(hashToken(secret));
    return rec ? { kind: 'token', name: rec.name, readOnly: rec.readOnly } : undefined;
  }

  async create(o: { name: string; readOnly?: boolean }, by: Actor): Promise<{ token: string; info: ApiTokenInfo }> {
    if (typeof o.name !== 'string' || !NAME.test(o.name)) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'name must be 1-64 characters of A-Z a-z 0-9 _ . @ -');
    if (o.name === 'admin') throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', '"admin" is the name of the admin token');
    if (await this.#store.getByName(o.name)) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `a token named "${o.name}" exists already`);
    const token = PREFIX + randomBytes(24).toString('base64url');
    const rec: ApiTokenRecord = { id: randomBytes(6).toString('hex'), name: o.name, hash: hashToken(token), readOnly: o.readOnly === true, createdAt: this.#clock.now() };
    await this.#store.add(rec);
    await this.#audit?.record(by, 'token.create', rec.name, { id: rec.id, readOnly: rec.readOnly });
    return { token, info: tokenInfo(rec) };
  }

  async list(): Promise<ApiTokenInfo[]> {
    return (await this.#store.list()).map(tokenInfo);
  }

  /** Revokes by id or by name. */
  async revoke(idOrName: string, by: Actor): Promise<ApiTokenInfo> {
    const rec = (await this.#store.list()).find((r) => r.id === idOrName) ?? (await this.#store.getByName(idOrName));
    if (!rec) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no token "${idOrName}"`);
    await this.#store.remove(rec.id);
    await this.#audit?.record(by, 'token.revoke', rec.name, { id: rec.id });
    return tokenInfo(rec);
  }
}
