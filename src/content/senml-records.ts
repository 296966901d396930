import { badPayload, isLwm2mError, withArticle } from '../errors.js';
import { limitsOf } from './limits.js';
import { formatPath, parsePath, segments } from './path.js';
import type { CodecContext, LwM2mPath, LwM2mValue, TimestampedValue } from './types.js';
import { booleanToValue, bytesToValue, modelTypeAt, numberToValue, parseObjlnk, stringToValue } from './values.js';

/**
 * SenML records as LwM2M uses them (RFC 8428; LwM2M 1.1 TS-Core §7.4.6 SenML JSON, §7.4.7
 * SenML CBOR), independent of the JSON or CBOR wire form. The wire codecs turn each record
 * into a `SenmlRecord`; this module resolves base name / base time and types the values.
 */
export interface SenmlRecord {
  bn?: string;
  bt?: number;
  n?: string;
  t?: number;
  v?: number | bigint;
  vs?: string;
  vb?: boolean;
  vd?: Uint8Array;
  /** Object link "oid:iid" (LwM2M 1.1 §7.4.7, label "vlo"). */
  vlo?: string;
}

/** RFC 8428 §4.5.3: a resolved time below 2^28 is relative to now. */
export const RELATIVE_TIME_LIMIT = 2 ** 28;

const NAME = /^\/?(?:\d{1,5}(?:\/\d{1,5}){0,3}\/?)?$/;

/** Resolves a SenML name to a path: absolute when it starts with "/", else below `basePath`. */
export function nameToPath(name: string, basePath?: LwM2mPath): LwM2mPath {
  if (!NAME.test(name)) throw badPayload(`SenML name "${name.slice(0, 60)}" is not an LwM2M path`);
  const full = name.startsWith('/') || basePath === undefined ? name : `${formatPath(basePath)}/${name}`;
  try {
    return parsePath(full);
  } catch (e) {
    throw badPayload(isLwm2mError(e) ? e.message : `invalid name ${name.slice(0, 60)}`, '4.00', e);
  }
}

interface Resolved {
  path: LwM2mPath;
  record: SenmlRecord;
  time?: number;
}

function resolve(records: readonly SenmlRecord[], ctx: CodecContext, basePath?: LwM2mPath): Resolved[] {
  const limits = limitsOf(ctx);
  if (records.length > limits.maxEntries) throw badPayload(`SenML pack of ${records.length} records exceeds the limit`);
  let bn = '';
  let bt: number | undefined;
  const now = ctx.nowSeconds ?? Date.now() / 1000;
  return records.map((r, i) => {
    if (r.bn !== undefined) bn = r.bn;
    if (r.bt !== undefined) bt = r.bt;
    const name = bn + (r.n ?? '');
    if (name === '') throw badPayload(`SenML record ${i} has no name`);
    const path = nameToPath(name, basePath);
    const out: Resolved = { path, record: r };
    if (bt !== undefined || r.t !== undefined) {
      const t = (bt ?? 0) + (r.t ?? 0);
      if (!Number.isFinite(t)) throw badPayload(`SenML record ${i} has an invalid time`);
      out.time = t < RELATIVE_TIME_LIMIT ? now + t : t;
    }
    return out;
  });
}

function recordValue(r: SenmlRecord, path: LwM2mPath, ctx: CodecContext): LwM2mValue | undefined {
  // Hot (every notification): count the value fields without building an array.
  const present = (r.v !== undefined ? 1 : 0) + (r.vs !== undefined ? 1 : 0) + (r.vb !== undefined ? 1 : 0) + (r.vd !== undefined ? 1 : 0) + (r.vlo !== undefined ? 1 : 0);
  const where = `SenML ${formatPath(path)}`;
  if (present > 1) throw badPayload(`${where}: more than one value field`);
  const type = modelTypeAt(path, ctx);
  if (r.v !== undefined) return numberToValue(r.v, type, where);
  if (r.vb !== undefined) return booleanToValue(r.vb, type, where);
  if (r.vd !== undefined) return bytesToValue(r.vd, type, where);
  if (r.vlo !== undefined) {
    if (type !== undefined && type !== 'objlnk') throw badPayload(`${where}: an object link cannot hold ${withArticle(type)} value`);
    return { type: 'objlnk', value: parseObjlnk(r.vlo, where) };
  }
  if (r.vs !== undefined) return stringToValue(r.vs, type, where);
  return undefined;
}

/**
 * Flat values of a SenML pack (Read/Observe responses, notifications, Send, Write payloads).
 * Every record must name a resource or resource instance and carry one value; a value-less
 * record is only accepted where the model says "none" or does not know the resource, and
 * becomes a "none" value (the form an encoder writes for a "none" value). The same path may appear more than once only with
 * different times (historical values, LwM2M 1.1 §7.4.6).
 */
export function recordsToValues(records: readonly SenmlRecord[], ctx: CodecContext, basePath?: LwM2mPath): TimestampedValue[] {
  const seen = new Set<string>();
  return resolve(records, ctx, basePath).map(({ path, record, time }) => {
    if (path.resourceId === undefined) throw badPayload(`SenML record for ${formatPath(path)} does not name a resource`);
    let value = recordValue(record, path, ctx);
    if (value === undefined) {
      const type = modelTypeAt(path, ctx);
      if (type !== undefined && type !== 'none') throw badPayload(`SenML record for ${formatPath(path)} has no value`);
      value = { type: 'none', value: null };
    }
    // A pack of one record cannot repeat a path (most notifications): no key to build.
    if (records.length > 1) {
      const formatted = formatPath(path);
      const key = `${formatted}@${time ?? ''}`;
      if (seen.has(key)) throw badPayload(`SenML pack holds ${formatted} twice for the same time`);
      seen.add(key);
    }
    const out: TimestampedValue = { path, value };
    if (time !== undefined) out.time = time;
    return out;
  });
}

/** Paths of a Read-Composite / Observe-Composite request (LwM2M 1.1 §6.3.8: names only). */
export function recordsToPaths(records: readonly SenmlRecord[], ctx: CodecContext, basePath?: LwM2mPath): LwM2mPath[] {
  const seen = new Set<string>();
  return resolve(records, ctx, basePath).map(({ path, record }) => {
    if ([record.v, record.vs, record.vb, record.vd, record.vlo].some((x) => x !== undefined)) {
      throw badPayload(`path list entry ${formatPath(path)} carries a value`);
    }
    const key = formatPath(path);
    if (seen.has(key)) throw badPayload(`path ${key} listed twice`);
    seen.add(key);
    return path;
  });
}

function valueFields(value: LwM2mValue, rec: SenmlRecord): void {
  switch (value.type) {
    case 'string':
    case 'corelnk':
      rec.vs = value.value;
      return;
    case 'integer':
    case 'unsigned':
    case 'float':
    case 'time':
      rec.v = value.value;
      return;
    case 'boolean':
      rec.vb = value.value;
      return;
    case 'opaque':
      rec.vd = value.value;
      return;
    case 'objlnk':
      rec.vlo = `${value.value.objectId}:${value.value.instanceId}`;
      return;
    case 'none':
      return;
  }
}

/** Longest common prefix of the paths' ids. */
function commonPrefix(paths: readonly LwM2mPath[]): number[] {
  const all = paths.map(segments);
  const first = all[0] ?? [];
  let n = first.length;
  for (const s of all) {
    let i = 0;
    while (i < n && i < s.length && s[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n);
}

/**
 * Records for flat values, Wakaama style: one value → `bn` is its full path; several →
 * `bn` is the common prefix ending in "/" and each `n` the rest. With `basePath` (the path
 * of an encoded object, instance or multiple resource) `bn` is that path, even for a single
 * value, as Wakaama writes a Read of /3 as `bn:"/3/"`, `n:"0/0"`. Times: when every value
 * has one, `bt` holds the first and `t` the offset; otherwise absolute `t` per timed record.
 * The type of each value picks the field (v / vs / vb / vd / vlo; "none" writes no value).
 */
export function valuesToRecords(values: readonly TimestampedValue[], basePath?: LwM2mPath): SenmlRecord[] {
  if (values.length === 0) return [];
  const allTimed = values.every((v) => v.time !== undefined);
  const bt = allTimed ? values[0]!.time! : undefined;
  if (values.length === 1 && (basePath === undefined || segments(basePath).length >= segments(values[0]!.path).length)) {
    const rec: SenmlRecord = { bn: formatPath(values[0]!.path) };
    if (bt !== undefined) rec.bt = bt;
    valueFields(values[0]!.value, rec);
    return [rec];
  }
  const prefix = basePath !== undefined ? segments(basePath) : commonPrefix(values.map((v) => v.path));
  const minLen = Math.min(...values.map((v) => segments(v.path).length));
  // Every record keeps a non-empty name.
  const base = prefix.slice(0, Math.min(prefix.length, minLen - 1));
  const bn = base.length === 0 ? '/' : `/${base.join('/')}/`;
  return values.map((v, i) => {
    const rec: SenmlRecord = {};
    if (i === 0) rec.bn = bn;
    if (i === 0 && bt !== undefined) rec.bt = bt;
    rec.n = segments(v.path).slice(base.length).join('/');
    if (v.time !== undefined) {
      const t = bt !== undefined ? v.time - bt : v.time;
      if (t !== 0 || bt === undefined) rec.t = t;
    }
    valueFields(v.value, rec);
    return rec;
  });
}

/** Read-Composite request body: one record per path with its full name (LwM2M 1.1 §6.3.8). */
export function pathsToRecords(paths: readonly LwM2mPath[]): SenmlRecord[] {
  return paths.map((p) => ({ n: formatPath(p) }));
}
