import { Lwm2mError } from '../../errors.js';
import type { QuarantineService } from '../../ops/quarantine-service.js';
import type { QuarantineRecord, Tags, TagStore } from '../../ops/types.js';
import type { Registration, RegistrationStore } from '../../store/types.js';
import { deviceJson, type DeviceJson } from '../device-json.js';

export type DeviceStatus = 'online' | 'sleeping' | 'quarantined' | 'offline';
const STATUSES: readonly DeviceStatus[] = ['online', 'sleeping', 'quarantined', 'offline'];

/** What the fleet routes read: the registration store and, when wired, the operations layer. */
export interface FleetDeps {
  registrations: RegistrationStore;
  quarantine?: QuarantineService;
  tags?: TagStore;
  /** Queue-mode presence (LwM2M 1.1 Transport §6.5): false means sleeping. */
  isAwake?: (endpoint: string) => boolean;
}

export type Query = Record<string, string | string[] | undefined>;

function bad(message: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', message);
}

export function one(q: Query, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) {
    if (v.length > 1) throw bad(`${name} may be given once`);
    return v[0];
  }
  return v;
}

function many(q: Query, name: string): string[] {
  const v = q[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** `ep=name` (exact) or `ep=prefix*`. */
export interface EndpointMatch {
  prefix: string;
  exact: boolean;
}

export function endpointMatch(q: Query): EndpointMatch | undefined {
  const ep = one(q, 'ep');
  if (ep === undefined || ep === '' || ep === '*') return undefined;
  return ep.endsWith('*') ? { prefix: ep.slice(0, -1), exact: false } : { prefix: ep, exact: true };
}

export interface DeviceFilter {
  ep?: EndpointMatch;
  statuses?: Set<DeviceStatus>;
  tags: [string, string][];
  objectId?: number;
}

/** `ep=`, `status=online,sleeping`, `tag=street=5` (repeatable: all must match), `object=3303`. */
export function parseDeviceFilter(q: Query): DeviceFilter {
  const f: DeviceFilter = { tags: [] };
  const ep = endpointMatch(q);
  if (ep) f.ep = ep;
  const status = one(q, 'status');
  if (status !== undefined && status !== '') {
    const list = status.split(',');
    const badOne = list.find((s) => !(STATUSES as readonly string[]).includes(s));
    if (badOne !== undefined) throw bad(`status must be one of ${STATUSES.join(', ')}, got "${badOne}"`);
    f.statuses = new Set(list as DeviceStatus[]);
  }
  for (const t of many(q, 'tag')) {
    const i = t.indexOf('=');
    if (i <= 0) throw bad(`tag filter must be key=value, got "${t}"`);
    f.tags.push([t.slice(0, i), t.slice(i + 1)]);
  }
  const object = one(q, 'object');
  if (object !== undefined) {
    if (!/^\d{1,5}$/.test(object) || Number(object) > 65535) throw bad(`object must be an object id, got "${object}"`);
    f.objectId = Number(object);
  }
  return f;
}

/** One device as the fleet routes see it: registered, quarantined, or both. */
export interface FleetDevice {
  endpoint: string;
  registration?: Registration;
  quarantine?: QuarantineRecord;
  tags: Tags;
  status: DeviceStatus;
}

export function statusOf(d: Pick<FleetDevice, 'registration' | 'quarantine' | 'endpoint'>, deps: FleetDeps): DeviceStatus {
  if (d.quarantine) return 'quarantined';
  if (!d.registration) return 'offline';
  if (d.registration.queueMode && deps.isAwake && !deps.isAwake(d.endpoint)) return 'sleeping';
  return 'online';
}

export function matches(d: FleetDevice, f: DeviceFilter): boolean {
  if (f.ep && (f.ep.exact ? d.endpoint !== f.ep.prefix : !d.endpoint.startsWith(f.ep.prefix))) return false;
  if (f.statuses && !f.statuses.has(d.status)) return false;
  for (const [k, v] of f.tags) if (d.tags[k] !== v) return false;
  if (f.objectId !== undefined && !d.registration?.objectLinks.some((l) => l.objectId === f.objectId)) return false;
  return true;
}

/** Every device the server knows of (registered or quarantined), ordered by endpoint. */
export async function allDevices(deps: FleetDeps): Promise<FleetDevice[]> {
  const regs = await deps.registrations.list();
  const quarantined = deps.quarantine ? await deps.quarantine.list() : [];
  const tags = deps.tags ? await deps.tags.all() : new Map<string, Tags>();
  // Both lists come sorted by endpoint: merge them, no sort of the (large) whole.
  const out: FleetDevice[] = [];
  let qi = 0;
  const pushQuarantined = (q: QuarantineRecord) => out.push({ endpoint: q.endpoint, quarantine: q, tags: tags.get(q.endpoint) ?? {}, status: 'quarantined' });
  for (const r of regs) {
    while (qi < quarantined.length && quarantined[qi]!.endpoint < r.endpoint) pushQuarantined(quarantined[qi++]!);
    const d: FleetDevice = { endpoint: r.endpoint, registration: r, tags: tags.get(r.endpoint) ?? {}, status: 'online' };
    if (qi < quarantined.length && quarantined[qi]!.endpoint === r.endpoint) d.quarantine = quarantined[qi++]!;
    d.status = statusOf(d, deps);
    out.push(d);
  }
  while (qi < quarantined.length) pushQuarantined(quarantined[qi++]!);
  return out;
}

/** The one device view for a lookup of a single device (GET /devices/{ep}). */
export async function oneDevice(endpoint: string, deps: FleetDeps): Promise<FleetDevice | undefined> {
  const registration = deps.registrations.getByEndpoint(endpoint);
  const quarantine = await deps.quarantine?.get(endpoint);
  if (!registration && !quarantine) return undefined;
  const d: FleetDevice = { endpoint, tags: deps.tags ? await deps.tags.get(endpoint) : {}, status: 'online' };
  if (registration) d.registration = registration;
  if (quarantine) d.quarantine = quarantine;
  d.status = statusOf(d, deps);
  return d;
}

export interface QuarantineJson {
  reason: string;
  since: string;
  by: string;
  identities: string[];
  addresses: string[];
}

export function quarantineJson(q: QuarantineRecord): QuarantineJson {
  return { reason: q.reason, since: new Date(q.since).toISOString(), by: q.by.kind === 'token' ? q.by.name : `system:${q.by.component}`, identities: q.identities, addresses: q.addresses };
}

/** A device in the API with the operations fields: the registration fields when registered. */
export type FleetDeviceJson = (DeviceJson | { endpoint: string }) & { status: DeviceStatus; tags: Tags; quarantine?: QuarantineJson };

export function fleetDeviceJson(d: FleetDevice): FleetDeviceJson {
  const base = d.registration ? deviceJson(d.registration) : { endpoint: d.endpoint };
  const out: FleetDeviceJson = { ...base, status: d.status, tags: d.tags };
  if (d.quarantine) out.quarantine = quarantineJson(d.quarantine);
  return out;
}
