import { badPayload, Lwm2mError } from '../errors.js';
import { decodeLinkFormat, formatLinkFormat, parseLinkFormat, type Link } from './link-format.js';
import { formatPath, parsePath } from './path.js';
import type { DecodeLimits, LwM2mPath } from './types.js';
import { formatDecimal, parseDecimal } from './value-text.js';

/**
 * LwM2M attributes (1.1 §5.1.2, table 5.1.2-1; 1.2 adds edge, con, hqmax) as they appear in a
 * Discover answer (§5.4.2 / §6.4.1: `</3/0/9>;pmin=5;pmax=60`) and in the Uri-Query of
 * Write-Attributes (§5.4.4 / §6.4.2: `?pmin=10&pmax=60&gt=20.5`, bare `pmin` removes it).
 */
export interface NotificationAttributes {
  /** Minimum period, seconds. */
  pmin?: number;
  /** Maximum period, seconds. */
  pmax?: number;
  /** Greater-than threshold (numeric resources). */
  gt?: number;
  /** Less-than threshold. */
  lt?: number;
  /** Step: notify when the value moved at least this much. */
  st?: number;
  /** Minimum evaluation period, seconds (1.1). */
  epmin?: number;
  /** Maximum evaluation period, seconds (1.1). */
  epmax?: number;
  /** 1.2: boolean edge, 0 = falling, 1 = rising. */
  edge?: 0 | 1;
  /** 1.2: 0 = non-confirmable, 1 = confirmable notifications. */
  con?: 0 | 1;
  /** 1.2: maximum historical queue, seconds. */
  hqmax?: number;
}
export type NotificationAttributeName = keyof NotificationAttributes;

/** Order used when writing a query, so equal sets give equal queries. */
export const NOTIFICATION_ATTRIBUTES: readonly NotificationAttributeName[] = [
  'pmin', 'pmax', 'gt', 'lt', 'st', 'epmin', 'epmax', 'edge', 'con', 'hqmax',
];

const KIND: Record<NotificationAttributeName, 'seconds' | 'decimal' | 'flag'> = {
  pmin: 'seconds', pmax: 'seconds', epmin: 'seconds', epmax: 'seconds', hqmax: 'seconds',
  gt: 'decimal', lt: 'decimal', st: 'decimal', edge: 'flag', con: 'flag',
};

/** One link of a Discover answer, typed. */
export interface DiscoverEntry {
  path: LwM2mPath;
  attributes: NotificationAttributes;
  /** Dimension: number of instances of a multiple resource. */
  dim?: number;
  /** Object version (on object links). */
  ver?: string;
  /** Short server id (bootstrap Discover of /0 and /1 instances). */
  ssid?: number;
  /** Server URI (bootstrap Discover of /0 instances). */
  uri?: string;
  /** Enabler version (bootstrap Discover, root link). */
  lwm2m?: string;
  /** Parameters not listed above, as written. */
  other: Record<string, string | true>;
}

/** A Write-Attributes change: a value sets the attribute, `null` removes it (bare name). */
export type AttributeUpdate = { [K in NotificationAttributeName]?: NotificationAttributes[K] | null };

const VERSION = /^\d{1,3}\.\d{1,3}$/;
const UNSIGNED = /^\d{1,10}$/;

function isAttributeName(name: string): name is NotificationAttributeName {
  return Object.hasOwn(KIND, name);
}

function parseAttributeValue(name: NotificationAttributeName, raw: string, where: string): number {
  const kind = KIND[name];
  if (kind === 'decimal') {
    const n = parseDecimal(raw);
    if (n === undefined) throw badPayload(`${where}: ${name}=${raw} is not a decimal number`, '4.00');
    return n;
  }
  if (kind === 'flag') {
    if (raw !== '0' && raw !== '1') throw badPayload(`${where}: ${name}=${raw} must be 0 or 1`, '4.00');
    return Number(raw);
  }
  if (!UNSIGNED.test(raw) || Number(raw) > 0xffffffff) {
    throw badPayload(`${where}: ${name}=${raw} is not a number of seconds`, '4.00');
  }
  return Number(raw);
}

function setOwn<T extends object>(target: T, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function unsignedParam(name: string, raw: string | true, max: number, where: string): number {
  if (raw === true || !UNSIGNED.test(raw) || Number(raw) > max) {
    throw badPayload(`${where}: ${name}=${String(raw)} is not an integer 0..${max}`, '4.00');
  }
  return Number(raw);
}

function versionParam(name: string, raw: string | true, where: string): string {
  if (raw === true || !VERSION.test(raw)) throw badPayload(`${where}: ${name}=${String(raw)} is not a version "major.minor"`, '4.00');
  return raw;
}

function targetPath(target: string, where: string): LwM2mPath {
  if (!target.startsWith('/')) throw badPayload(`${where}: link target ${JSON.stringify(target)} is not an absolute LwM2M path`, '4.00');
  try {
    return parsePath(target);
  } catch (e) {
    throw badPayload(`${where}: link target ${JSON.stringify(target)} is not an LwM2M path`, '4.00', e);
  }
}

/** Types one Discover link. */
export function discoverEntryOf(link: Link): DiscoverEntry {
  const where = `Discover <${link.target}>`;
  const entry: DiscoverEntry = { path: targetPath(link.target, where), attributes: {}, other: {} };
  for (const [name, raw] of Object.entries(link.params)) {
    if (isAttributeName(name)) {
      if (raw === true) throw badPayload(`${where}: attribute ${name} has no value`, '4.00');
      setOwn(entry.attributes, name, parseAttributeValue(name, raw, where));
    } else if (name === 'dim') entry.dim = unsignedParam(name, raw, 65535, where);
    else if (name === 'ssid') entry.ssid = unsignedParam(name, raw, 65535, where);
    else if (name === 'ver') entry.ver = versionParam(name, raw, where);
    else if (name === 'lwm2m') entry.lwm2m = versionParam(name, raw, where);
    else if (name === 'uri') {
      if (raw === true) throw badPayload(`${where}: uri has no value`, '4.00');
      entry.uri = raw;
    } else setOwn(entry.other, name, raw);
  }
  return entry;
}

/** Parses a Discover answer (Content-Format 40) into typed entries, in payload order. */
export function parseDiscover(payload: string | Uint8Array, limits?: Partial<DecodeLimits>): DiscoverEntry[] {
  const links = typeof payload === 'string' ? parseLinkFormat(payload, limits) : decodeLinkFormat(payload, limits);
  return links.map(discoverEntryOf);
}

/** Writes Discover entries as link-format (what a client, or our simulator, answers). */
export function formatDiscover(entries: readonly DiscoverEntry[]): string {
  return formatLinkFormat(
    entries.map((e) => {
      const params: Record<string, string | true> = {};
      if (e.lwm2m !== undefined) params['lwm2m'] = e.lwm2m;
      if (e.ver !== undefined) params['ver'] = e.ver;
      if (e.ssid !== undefined) params['ssid'] = String(e.ssid);
      if (e.uri !== undefined) params['uri'] = e.uri;
      if (e.dim !== undefined) params['dim'] = String(e.dim);
      for (const name of NOTIFICATION_ATTRIBUTES) {
        const v = e.attributes[name];
        if (v !== undefined) params[name] = formatDecimal(v);
      }
      for (const [k, v] of Object.entries(e.other)) if (!Object.hasOwn(params, k)) setOwn(params, k, v);
      return { target: formatPath(e.path), params };
    }),
  );
}

/**
 * Problems with a set of attributes, per LwM2M 1.1 §5.1.2: pmin <= pmax, epmin <= epmax,
 * st >= 0, lt < gt and lt + 2*st < gt when both thresholds are given. Only attributes present
 * in `a` are compared (the device may hold others). Empty list when consistent.
 */
export function checkAttributes(a: AttributeUpdate): string[] {
  const problems: string[] = [];
  for (const name of NOTIFICATION_ATTRIBUTES) {
    const v = a[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${name} must be a finite number`);
    else if (KIND[name] === 'seconds' && (!Number.isInteger(v) || v < 0 || v > 0xffffffff)) problems.push(`${name} must be a whole number of seconds`);
    else if (KIND[name] === 'flag' && v !== 0 && v !== 1) problems.push(`${name} must be 0 or 1`);
  }
  const n = (k: NotificationAttributeName): number | undefined => (typeof a[k] === 'number' ? (a[k] as number) : undefined);
  const [pmin, pmax, epmin, epmax, gt, lt, st] = (['pmin', 'pmax', 'epmin', 'epmax', 'gt', 'lt', 'st'] as const).map(n);
  if (pmin !== undefined && pmax !== undefined && pmax < pmin) problems.push(`pmax (${pmax}) is less than pmin (${pmin})`);
  if (epmin !== undefined && epmax !== undefined && epmax < epmin) problems.push(`epmax (${epmax}) is less than epmin (${epmin})`);
  if (st !== undefined && st < 0) problems.push(`st (${st}) is negative`);
  if (gt !== undefined && lt !== undefined) {
    if (!(lt < gt)) problems.push(`lt (${lt}) is not less than gt (${gt})`);
    else if (st !== undefined && !(lt + 2 * st < gt)) problems.push(`lt + 2*st (${lt + 2 * st}) is not less than gt (${gt})`);
  }
  return problems;
}

/**
 * Encodes a Write-Attributes change as Uri-Query options, e.g. ["pmin=10", "pmax=60", "gt=20.5"];
 * `null` gives a bare name ("pmin") which removes the attribute. Throws LWM2M_ERR_BAD_REQUEST
 * for an inconsistent or empty set (see checkAttributes).
 */
export function formatAttributeQuery(update: AttributeUpdate): string[] {
  const problems = checkAttributes(update);
  if (problems.length > 0) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `invalid attributes: ${problems.join('; ')}`);
  const out: string[] = [];
  for (const name of NOTIFICATION_ATTRIBUTES) {
    const v = update[name];
    if (v === undefined) continue;
    out.push(v === null ? name : `${name}=${formatDecimal(v)}`);
  }
  for (const key of Object.keys(update)) {
    if (!isAttributeName(key)) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `unknown attribute ${JSON.stringify(key)}`);
  }
  if (out.length === 0) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', 'Write-Attributes needs at least one attribute');
  return out;
}

/** The same as one query string: "pmin=10&pmax=60". */
export function formatAttributeQueryString(update: AttributeUpdate): string {
  return formatAttributeQuery(update).join('&');
}

/**
 * Parses Write-Attributes Uri-Query options (or one "a=1&b" string) into a change. Unknown names,
 * duplicates and malformed values are a 4.00. Consistency is not checked here (checkAttributes).
 */
export function parseAttributeQuery(query: readonly string[] | string): AttributeUpdate {
  const parts = typeof query === 'string' ? (query === '' ? [] : query.split('&')) : query;
  if (parts.length > NOTIFICATION_ATTRIBUTES.length) throw badPayload(`Write-Attributes: ${parts.length} attributes is too many`, '4.00');
  const update: AttributeUpdate = {};
  for (const part of parts) {
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    if (!isAttributeName(name)) throw badPayload(`Write-Attributes: unknown attribute ${JSON.stringify(name)}`, '4.00');
    if (Object.hasOwn(update, name)) throw badPayload(`Write-Attributes: ${name} given twice`, '4.00');
    setOwn(update, name, eq === -1 ? null : parseAttributeValue(name, part.slice(eq + 1), 'Write-Attributes'));
  }
  return update;
}
