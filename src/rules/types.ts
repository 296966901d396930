import type { JsonValue } from '../content/value-json.js';
import type { Operation, OperationResult, PathValue } from '../lwm2m/management/operation.js';
import type { Submission } from '../lwm2m/queue/dispatcher.js';
import type { QueuedRequest, Registration } from '../store/types.js';

/* ---------- The rule format, as users write it (JSON) ---------- */

/** A plain JSON value as written in a rule file. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface WriteActionSpec {
  /** "<devices>:<path>", e.g. "tag:street={{tags.street}}:/3311/0/5850". */
  write: string;
  /** Plain JSON (coerced with the object model), a typed value, or a template string. */
  value: Json;
}

export interface ExecuteActionSpec {
  execute: string;
  args?: string;
}

export interface CreateActionSpec {
  /** "<devices>:/<objectId>". */
  create: string;
  id?: number;
  /** `{ "5700": 21.5 }`: resource id → value (templated). */
  resources?: Record<string, Json>;
}

export interface WebhookActionSpec {
  webhook: string;
  method?: 'POST' | 'PUT';
  headers?: Record<string, string>;
  /** JSON body, templated; default: a description of the firing. */
  body?: Json;
  /** Further attempts after the first; default 3. */
  retries?: number;
  /** Per attempt, ms; default 5000. */
  timeoutMs?: number;
}

export type ActionSpec = WriteActionSpec | ExecuteActionSpec | CreateActionSpec | WebhookActionSpec;

/** A rule as stored and as the API takes it. */
export interface RuleSpec {
  /** "<devices>:<path>" for reported values, or "registered:<devices>" (also deregistered, expired). */
  when: string;
  /** An expression over the value (src/rules/expression-parser.ts), optionally ending in "for 30s". */
  if?: string;
  /** Debounce: the condition must hold this long ("30s", "5m") before the rule fires. */
  for?: string;
  /** Time window "HH:MM-HH:MM" (may wrap midnight) in `timezone` (IANA name, default UTC). */
  during?: string;
  timezone?: string;
  then: ActionSpec[];
  /** Most firings per period, e.g. "10/min". */
  rate?: string;
  /** Notification attributes to set on the trigger devices before observing (pmin, pmax, gt, lt, st). */
  observe?: Record<string, number>;
  description?: string;
}

/** A rule in the store: its spec plus switches. */
export interface StoredRule {
  name: string;
  spec: RuleSpec;
  enabled: boolean;
  /** Log what would happen; touch nothing. */
  dryRun: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface RuleStore {
  /** Adds or replaces by name; returns the replaced rule. */
  put(rule: StoredRule): Promise<StoredRule | undefined>;
  get(name: string): Promise<StoredRule | undefined>;
  /** Ordered by name. */
  list(): Promise<StoredRule[]>;
  remove(name: string): Promise<StoredRule | undefined>;
  close(): Promise<void>;
}

/* ---------- What the engine needs from the rest of the server (adapted at wiring) ---------- */

export interface TagLookup {
  endpointsWithTag(key: string, value: string): Promise<string[]>;
  tagsOf(endpoint: string): Promise<Record<string, string>>;
}

export interface QuarantineCheck {
  isQuarantined(endpoint: string): boolean | Promise<boolean>;
}

export interface AuditRecord {
  /** "rule.fired", "rule.loop", "rule.action-result", "rule.add"... */
  action: string;
  /** Who changed a rule (an API token's name); absent for what the engine does by itself. */
  by?: string;
  target?: string;
  details?: Record<string, unknown>;
}

export interface AuditSink {
  record(entry: AuditRecord): Promise<void>;
}

/** RequestDispatcher satisfies this: awake devices at once, sleeping ones through the queue. */
export interface ActionDispatcher {
  submit(endpoint: string, op: Operation): Promise<Submission>;
}

export interface RegistrationLookup {
  getByEndpoint(endpoint: string): Registration | undefined;
  list(): Promise<Registration[]>;
}

/** What already observes what (ObservationService satisfies it). */
export interface ObservationLookup {
  list(endpoint: string): Promise<{ paths: string[] }[]>;
}

/** Latest stored value of a resource (ObjectStore satisfies it). */
export interface LatestValues {
  latest(endpoint: string, pathPrefix?: string): Promise<{ path: string; value: JsonValue }[]>;
}

/** The server events the engine follows (EventBus satisfies it). */
export interface RuleInputEvents {
  on(name: 'notification', fn: (e: { endpoint: string; values: PathValue[] }) => void): () => void;
  on(name: 'send', fn: (e: { endpoint: string; values: PathValue[] }) => void): () => void;
  on(name: 'read', fn: (e: { endpoint: string; values: PathValue[] }) => void): () => void;
  on(name: 'registered' | 'deregistered' | 'expired', fn: (e: { registration: Registration }) => void): () => void;
  on(name: 'request-result', fn: (e: { request: QueuedRequest; result: OperationResult }) => void): () => void;
}

/* ---------- What the engine reports ---------- */

export interface TriggerInfo {
  kind: 'value' | 'registered' | 'deregistered' | 'expired';
  endpoint: string;
  path?: string;
  value?: JsonValue;
  /** Epoch ms. */
  at: number;
}

export type ActionStatus = 'done' | 'queued' | 'failed' | 'skipped' | 'dry-run';

export interface ActionOutcome {
  /** "write", "execute", "create", "webhook". */
  kind: string;
  /** Endpoint or URL. */
  target: string;
  path?: string;
  status: ActionStatus;
  /** Why skipped or failed: "quarantined", "rate-limited", "no matching device", an error message. */
  reason?: string;
  requestId?: string;
  code?: string;
  /** What was (or would be) sent. */
  operation?: Operation;
  attempts?: number;
}

/** Event types for ServerEventMap (src/events.ts). */
export interface RuleEventMap {
  /** `endpoint` is the trigger's device (the event stream filters on it). */
  'rule-fired': { rule: string; endpoint: string; trigger: TriggerInfo; chain: string[]; dryRun: boolean; actions: ActionOutcome[] };
  'rule-loop': { rule: string; endpoint: string; trigger: TriggerInfo; chain: string[]; maxDepth: number };
  'rule-action-result': { rule: string; endpoint: string; requestId: string; ok: boolean; code?: string; error?: string };
}

export interface RuleEventSink {
  emit<K extends keyof RuleEventMap>(name: K, event: RuleEventMap[K]): void;
}
