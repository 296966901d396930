/**
 * Store contracts of the operations layer: quarantine, audit log, device tags, API tokens.
 * Like src/store/types.ts, every store has a memory and a LevelDB implementation passing one
 * shared suite (test/_suites/), methods are async and return what they replaced.
 */

/** Who did something: an API token (by name) or the server itself (automatic protection). */
export type Actor = { kind: 'token'; name: string; readOnly?: boolean } | { kind: 'system'; component: string };

/** A quarantined endpoint and the identities it was last seen with (LwM2M 1.1 Core §7.1 identities). */
export interface QuarantineRecord {
  endpoint: string;
  reason: string;
  /** Epoch ms. */
  since: number;
  by: Actor;
  /** Identity keys (`psk:<id>`, `rpk:<sha256>`, `x509:<cn>`) refused even under another endpoint name. */
  identities: string[];
  /** Peer keys (`127.0.0.1:5683`) refused even under another endpoint name. */
  addresses: string[];
  /** Registration ids it held: an Update to `/rd/<id>` from anywhere is refused. */
  registrationIds: string[];
}

export interface QuarantineStore {
  /** Adds or replaces the record of `rec.endpoint`; returns the replaced one. */
  put(rec: QuarantineRecord): Promise<QuarantineRecord | undefined>;
  /*
   * Lookups answer at once, from memory (the records and their indexes are loaded at open):
   * every device request is checked against them.
   */
  get(endpoint: string): QuarantineRecord | undefined;
  /** How many devices are quarantined (none, nearly always: every device request asks first). */
  readonly size: number;
  /** The record binding this identity key or peer key, if any. */
  findByIdentity(identityKey: string): QuarantineRecord | undefined;
  findByAddress(peerKey: string): QuarantineRecord | undefined;
  findByRegistrationId(id: string): QuarantineRecord | undefined;
  remove(endpoint: string): Promise<QuarantineRecord | undefined>;
  /** Ordered by endpoint. */
  list(): Promise<QuarantineRecord[]>;
  close(): Promise<void>;
}

export interface AuditEntry {
  /** Monotonic per store, also across restarts. */
  seq: number;
  /** Epoch ms. */
  at: number;
  actor: Actor;
  /** e.g. "quarantine", "release", "tag", "token.create", "device.write". */
  action: string;
  /** The endpoint or object acted on. */
  target?: string;
  details?: Record<string, unknown>;
}

export interface AuditQuery {
  /** Epoch ms, inclusive. */
  since?: number;
  until?: number;
  /** Entries after this one (its `auditCursor`): pagination. */
  after?: string;
  /** Oldest first, at most this many. */
  limit?: number;
}

/** An opaque, ordered position of an entry in the log: entries are ordered by time, then seq. */
export function auditCursor(e: Pick<AuditEntry, 'at' | 'seq'>): string {
  return `${e.at}.${e.seq}`;
}

export interface AuditStore {
  /** Stores an entry; the store assigns `seq`. */
  append(entry: Omit<AuditEntry, 'seq'>): Promise<AuditEntry>;
  /** Oldest first. */
  list(query?: AuditQuery): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

export type Tags = Record<string, string>;

export interface TagStore {
  /** Merges tags into an endpoint's tags (a value of null removes that key); returns the previous tags. */
  set(endpoint: string, tags: Record<string, string | null>): Promise<Tags>;
  get(endpoint: string): Promise<Tags>;
  /** Every endpoint with at least one tag. */
  all(): Promise<Map<string, Tags>>;
  /** Forgets an endpoint's tags; returns them. */
  remove(endpoint: string): Promise<Tags>;
  close(): Promise<void>;
}

export interface ApiTokenRecord {
  id: string;
  name: string;
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  hash: string;
  readOnly: boolean;
  createdAt: number;
}

export interface ApiTokenStore {
  /** Adds a token; names are unique (a duplicate name is refused by the service, not here). */
  add(rec: ApiTokenRecord): Promise<void>;
  getByHash(hash: string): Promise<ApiTokenRecord | undefined>;
  getByName(name: string): Promise<ApiTokenRecord | undefined>;
  list(): Promise<ApiTokenRecord[]>;
  /** Removes by id; returns what was removed. */
  remove(id: string): Promise<ApiTokenRecord | undefined>;
  close(): Promise<void>;
}
