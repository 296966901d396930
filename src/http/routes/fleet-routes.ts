import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../../clock.js';
import { Lwm2mError } from '../../errors.js';
import type { ObjectStore, StoredValue } from '../../store/types.js';
import { deviceJson, type DeviceJson } from '../device-json.js';
import { decodeCursor, encodeCursor, isSortCursor, isStringPair, pageLimit, parseTime } from './fleet-cursor.js';
import { allDevices, fleetDeviceJson, matches, one, oneDevice, parseDeviceFilter, type DeviceFilter, type FleetDeps, type FleetDevice, type FleetDeviceJson, type Query } from './fleet-filter.js';

export interface FleetRouteDeps extends FleetDeps {
  objectStore: ObjectStore;
  clock?: Clock;
}

const SORT_FIELDS = ['endpoint', 'registeredAt', 'lastUpdate', 'expiresAt'] as const;
type SortField = (typeof SORT_FIELDS)[number];

function sortValue(d: FleetDevice, field: SortField): string | number {
  return field === 'endpoint' ? d.endpoint : d.registration?.[field] ?? 0;
}

function compareKeys(a: [string | number, string], b: [string | number, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/**
 * `GET /api/v1/devices?ep=&status=&tag=&object=&sort=&limit=&cursor=`: one page of the fleet.
 * The cursor is the sort key of the last device of the page, so pages stay correct while
 * devices come and go between requests (no offsets).
 */
export async function listDevicesPage(q: Query, deps: FleetDeps, o: { plain?: boolean } = {}): Promise<{ devices: (FleetDeviceJson | DeviceJson)[]; total?: number; nextCursor?: string }> {
  const filter = parseDeviceFilter(q);
  const rawSort = one(q, 'sort') ?? 'endpoint';
  const desc = rawSort.startsWith('-');
  const field = (desc ? rawSort.slice(1) : rawSort) as SortField;
  if (!SORT_FIELDS.includes(field)) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', `sort must be one of ${SORT_FIELDS.join(', ')} (prefix - for descending)`);
  const limit = pageLimit(one(q, 'limit'), 1000, 1000);
  const after = decodeCursor(one(q, 'cursor'), isSortCursor);
  const dir = desc ? -1 : 1;
  const hits = (await allDevices(deps)).filter((d) => matches(d, filter));
  const keyed = hits.map((d) => ({ d, key: [sortValue(d, field), d.endpoint] as [string | number, string] }));
  // allDevices is in endpoint order already: only other orders need a sort.
  if (field !== 'endpoint') keyed.sort((a, b) => dir * compareKeys(a.key, b.key));
  else if (desc) keyed.reverse();
  const start = after === undefined ? 0 : lowerBound(keyed, (k) => dir * compareKeys(k.key, after) > 0);
  const page = keyed.slice(start, start + limit);
  // Plain: the API without the operations layer keeps its original device shape.
  const out: { devices: (FleetDeviceJson | DeviceJson)[]; total?: number; nextCursor?: string } = o.plain
    ? { devices: page.map((k) => deviceJson(k.d.registration!)) }
    : { devices: page.map((k) => fleetDeviceJson(k.d)), total: hits.length };
  if (start + limit < keyed.length) out.nextCursor = encodeCursor(page[page.length - 1]!.key);
  return out;
}

/** First index where `pred` holds, for a predicate false then true along the array. */
function lowerBound<T>(a: T[], pred: (v: T) => boolean): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(a[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const PATTERN = /^(\/(\d{1,5}|\*)){1,4}$/;
/** Store batches read per page at most: a page of a sparse filter may come back short (with a cursor). */
const MAX_BATCHES = 20;

/**
 * Latest values matching a path pattern across devices, filtered by device: the store is
 * scanned from the cursor in batches until the page is full.
 */
async function scanLatest(q: Query, deps: FleetRouteDeps, limit: number): Promise<{ values: StoredValue[]; nextCursor?: string }> {
  const path = one(q, 'path');
  if (path === undefined || !PATTERN.test(path)) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'path must be a resource path with * for any id, e.g. /3303/*/5700');
  const filter: DeviceFilter = parseDeviceFilter(q);
  const deviceFilterNeeded = filter.statuses !== undefined || filter.tags.length > 0 || filter.objectId !== undefined;
  const cursor = decodeCursor(one(q, 'cursor'), isStringPair);
  let last: [string, string] | undefined = cursor;
  const devices = new Map<string, FleetDevice | undefined>();
  const values: StoredValue[] = [];
  const batch = Math.min(5000, limit * 2 + 1);
  for (let i = 0; i < MAX_BATCHES; i++) {
    const opts: { endpointPrefix?: string; after?: string; limit: number } = { limit: batch };
    if (filter.ep) opts.endpointPrefix = filter.ep.prefix;
    if (last !== undefined) opts.after = `${last[0]} ${last[1]}`;
    const got = await deps.objectStore.latestAcross(path, opts);
    for (const v of got) {
      last = [v.endpoint, v.path];
      if (filter.ep?.exact && v.endpoint !== filter.ep.prefix) continue;
      if (deviceFilterNeeded) {
        if (!devices.has(v.endpoint)) devices.set(v.endpoint, (await oneDevice(v.endpoint, deps)) ?? { endpoint: v.endpoint, tags: deps.tags ? await deps.tags.get(v.endpoint) : {}, status: 'offline' });
        if (!matches(devices.get(v.endpoint)!, filter)) continue;
      }
      values.push(v);
      if (values.length > limit) {
        // The one extra match says a next page exists; the cursor is the page's last entry.
        values.pop();
        const end = values[values.length - 1]!;
        return { values, nextCursor: encodeCursor([end.endpoint, end.path]) };
      }
    }
    if (got.length < batch) return { values };
  }
  // Scan budget spent on a sparse filter: a short page, and the cursor where the scan stopped.
  return last === undefined ? { values } : { values, nextCursor: encodeCursor(last) };
}

function valueJson(v: StoredValue): Record<string, unknown> {
  return { endpoint: v.endpoint, path: v.path, value: v.value, time: v.time, receivedAt: v.receivedAt, source: v.source };
}

/** Fleet-wide reads of the object store: never touches a device. */
export function registerFleetRoutes(app: FastifyInstance, deps: FleetRouteDeps): void {
  const clock = deps.clock ?? systemClock;

  app.get<{ Querystring: Query }>('/api/v1/values', async (req) => {
    const limit = pageLimit(one(req.query, 'limit'), 100, 1000);
    const page = await scanLatest(req.query, deps, limit);
    const out: { values: Record<string, unknown>[]; nextCursor?: string } = { values: page.values.map(valueJson) };
    if (page.nextCursor !== undefined) out.nextCursor = page.nextCursor;
    return out;
  });

  app.get<{ Querystring: Query }>('/api/v1/values/history', async (req) => {
    const now = clock.now();
    const since = parseTime(one(req.query, 'since'), 'since', now);
    const until = parseTime(one(req.query, 'until'), 'until', now);
    const entries = pageLimit(one(req.query, 'entries'), 100, 10_000);
    const limit = pageLimit(one(req.query, 'limit'), 100, 1000);
    const page = await scanLatest(req.query, deps, limit);
    const series = [];
    for (const v of page.values) {
      const query: { since?: number; until?: number; limit: number } = { limit: entries };
      if (since !== undefined) query.since = since;
      if (until !== undefined) query.until = until;
      const hist = await deps.objectStore.history(v.endpoint, v.path, query);
      series.push({ endpoint: v.endpoint, path: v.path, values: hist.map((h) => ({ value: h.value, time: h.time, receivedAt: h.receivedAt, source: h.source })) });
    }
    const out: { series: typeof series; nextCursor?: string } = { series };
    if (page.nextCursor !== undefined) out.nextCursor = page.nextCursor;
    return out;
  });
}
