import type { PeerAddress, PeerIdentity } from '../transport/types.js';
import type { JsonValue } from '../content/value-json.js';

/** One object link from a registration payload (LwM2M 1.1 §6.2.1, transport §6.4.1). */
export interface ObjectLink {
  /** Path below the root path, e.g. "/3/0" or "/31024". */
  path: string;
  objectId: number;
  instanceId?: number;
  /** `ver=` on an object link. */
  version?: string;
}

export type BindingMode = 'U' | 'M' | 'H' | 'T' | 'S' | 'N';

export interface Registration {
  /** Server-assigned id, used in Location-Path `rd/<id>`. */
  id: string;
  endpoint: string;
  /** Lifetime in seconds. */
  lifetime: number;
  lwm2mVersion: string;
  /** Binding letters as sent, e.g. "U", "UQ" (1.0 queue). */
  binding: string;
  /** Queue mode: `b=UQ` (1.0) or the `Q` parameter (1.1). */
  queueMode: boolean;
  sms?: string;
  /** Alternate root path from `</path>;rt="oma.lwm2m"`, "/" when absent. */
  rootPath: string;
  /** `ct=` announced on the root link: content formats the device supports. */
  supportedFormats: number[];
  objectLinks: ObjectLink[];
  /** Where requests to the device go: the source of the Register request. */
  address: PeerAddress;
  /** "coap" or "coaps": which listener the device registered on. */
  transport: 'coap' | 'coaps';
  identity?: PeerIdentity;
  /** Epoch ms. */
  registeredAt: number;
  /** Epoch ms of the last Register or Update. */
  lastUpdate: number;
  /** Epoch ms after which the registration is expired (lastUpdate + lifetime). */
  expiresAt: number;
}

export interface RegistrationStore {
  /**
   * Adds or replaces the registration of `reg.endpoint`. Returns the registration it replaced
   * (same endpoint, any id), if any.
   */
  add(reg: Registration): Promise<Registration | undefined>;
  /** Replaces a registration by id. Returns the previous version, undefined if unknown. */
  update(reg: Registration): Promise<Registration | undefined>;
  /** Removes a registration by id. Returns what was removed. */
  remove(id: string): Promise<Registration | undefined>;
  /*
   * Lookups answer at once, from memory: every store keeps the registrations indexed (the
   * durable copy is written through and loaded back at open), and each device request asks
   * them, so they cost no promise and no turn of the event loop.
   */
  getById(id: string): Registration | undefined;
  getByEndpoint(endpoint: string): Registration | undefined;
  getByAddress(address: PeerAddress): Registration | undefined;
  /** All registrations, ordered by endpoint. */
  list(): Promise<Registration[]>;
  /** How many registrations there are. */
  readonly size: number;
  /**
   * Every registration in no particular order, from memory: for passes over the whole fleet that
   * need no order (start-up, counts), where list() would sort 100,000 endpoints first.
   */
  values(): Iterable<Registration>;
  /** Removes every registration whose expiresAt <= nowMs. Returns what was removed. */
  removeExpired(nowMs: number): Promise<Registration[]>;
  close(): Promise<void>;
}

/* ---------- Observations (LwM2M 1.1 Core, Information Reporting interface; RFC 7641) ---------- */

/**
 * An observation the server holds on a device. Persisted so notifications arriving after a
 * restart are still matched (by token) and decoded, and so observations can be set up again
 * when the device registers anew (devices forget them on re-registration).
 */
export interface ObservationRecord {
  /** CoAP token, hex. Unique per server. */
  token: string;
  endpoint: string;
  registrationId: string;
  /** Observed paths: one for Observe, several for Observe-Composite. */
  paths: string[];
  composite: boolean;
  /** Accept asked for (undefined: device default). */
  accept?: number;
  /** Where notifications come from (the registration address at the time). */
  peer: PeerAddress;
  /** Epoch ms. */
  createdAt: number;
  /** Highest Observe sequence number seen (for freshness after a restart). */
  lastSequence?: number;
}

export interface ObservationStore {
  /** Adds or replaces (same token). Returns the replaced record. */
  add(o: ObservationRecord): Promise<ObservationRecord | undefined>;
  /* Lookups answer at once, from memory (the records are indexed there and loaded at open). */
  getByToken(token: string): ObservationRecord | undefined;
  listByEndpoint(endpoint: string): ObservationRecord[];
  list(): Promise<ObservationRecord[]>;
  /** Every observation in no particular order, from memory (list() sorts them by age first). */
  values(): Iterable<ObservationRecord>;
  remove(token: string): Promise<ObservationRecord | undefined>;
  removeByEndpoint(endpoint: string): Promise<ObservationRecord[]>;
  close(): Promise<void>;
}

/* ---------- Request queue for sleeping devices (LwM2M 1.1 Transport, Queue Mode) ---------- */

export type QueuedRequestStatus = 'pending' | 'sent' | 'succeeded' | 'failed' | 'expired' | 'cancelled';

/** A request for a device, JSON-serialisable, as the API took it. */
export interface QueuedRequest {
  /** Request id handed to the caller at once. */
  id: string;
  endpoint: string;
  /** Monotonic per server: delivery order. */
  seq: number;
  /** What to do: an operation name and its JSON arguments (the management layer defines them). */
  operation: string;
  args: Record<string, unknown>;
  status: QueuedRequestStatus;
  createdAt: number;
  /** Epoch ms after which an undelivered request expires. */
  expiresAt: number;
  /** Epoch ms of the last status change. */
  updatedAt: number;
  /** Outcome, once finished: JSON from the management layer. */
  result?: Record<string, unknown>;
}

export interface RequestQueueStore {
  /** A sequence number above every one ever stored (also after a restart and a prune). */
  nextSeq(): number;
  /** Stores a new pending request (status "pending", an id not used before). */
  enqueue(r: QueuedRequest): Promise<void>;
  get(id: string): Promise<QueuedRequest | undefined>;
  /** Pending requests of a device, in `seq` order. */
  pending(endpoint: string): Promise<QueuedRequest[]>;
  /**
   * Whether the device has pending requests, answered at once from memory (every wake-up of
   * every device asks; the count is kept in step with the records and rebuilt at open).
   */
  hasPending(endpoint: string): boolean;
  /** Changes a request's status (and result). Returns the previous version. */
  setStatus(id: string, status: QueuedRequestStatus, at: number, result?: Record<string, unknown>): Promise<QueuedRequest | undefined>;
  /** Marks pending requests past `expiresAt` as expired; returns them (updated). */
  expire(nowMs: number): Promise<QueuedRequest[]>;
  /**
   * Cancels one request that is still pending; returns it (updated), or undefined when no request
   * has that id. A request already sent or finished is not changed: LWM2M_ERR_PRECONDITION_FAILED.
   */
  cancel(id: string, at: number): Promise<QueuedRequest | undefined>;
  /** Cancels every pending request of a device; returns them (updated). */
  cancelEndpoint(endpoint: string, at: number): Promise<QueuedRequest[]>;
  /** Number of pending requests, for one device or all. */
  depth(endpoint?: string): Promise<number>;
  /** Forgets finished requests older than `beforeMs` (results are kept for a while for GET /requests/{id}). */
  prune(beforeMs: number): Promise<number>;
  close(): Promise<void>;
}

/* ---------- The object store: every value the server learns ---------- */

export type ValueSource = 'read' | 'notify' | 'send' | 'write';

export interface StoredValue {
  endpoint: string;
  /** Resource or resource-instance path, e.g. "/3303/0/5700". */
  path: string;
  /** The value in the stable JSON shape (src/content/value-json.ts). */
  value: JsonValue;
  /** Epoch ms the value is for: the device's timestamp when it gave one, else receive time. */
  time: number;
  /** Epoch ms the server received it. */
  receivedAt: number;
  source: ValueSource;
}

export interface HistoryQuery {
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, inclusive. */
  until?: number;
  /** Newest first, at most this many. */
  limit?: number;
}

export interface RetentionPolicy {
  /** Most history entries kept per (endpoint, path). */
  maxEntries: number;
  /** Entries older than this (ms, by `time`) are dropped. */
  maxAgeMs: number;
}

export interface ObjectStore {
  /** Stores values: each becomes the latest for its (endpoint, path) (unless older than the
   * stored latest) and is appended to that path's history. Batched internally. */
  put(values: StoredValue[]): Promise<void>;
  /** Latest values of a device at or below `pathPrefix` ("/" or undefined: all), by path. */
  latest(endpoint: string, pathPrefix?: string): Promise<StoredValue[]>;
  /** History of one path, newest first. */
  history(endpoint: string, path: string, query?: HistoryQuery): Promise<StoredValue[]>;
  /** Every device's latest value for paths matching a pattern with `*` segments
   * (e.g. "/3303/*\/5700"), endpoints filtered by prefix; ordered by endpoint then path. */
  latestAcross(pathPattern: string, options?: { endpointPrefix?: string; after?: string; limit?: number }): Promise<StoredValue[]>;
  /** Drops history beyond the retention policy. Returns entries removed. */
  applyRetention(nowMs: number): Promise<number>;
  /** Forgets everything about a device. */
  removeEndpoint(endpoint: string): Promise<void>;
  close(): Promise<void>;
}
