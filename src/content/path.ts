import { Lwm2mError } from '../errors.js';
import type { LwM2mPath } from './types.js';

/** LwM2M ids are 16-bit; 65535 is reserved (LwM2M 1.1 §7.1, "MAX ID"). */
export const MAX_ID = 65534;

const KEYS = ['objectId', 'instanceId', 'resourceId', 'resourceInstanceId'] as const;

/**
 * Parses "/3/0/1", "3/0/1", "/" or "" into a path. Throws LWM2M_ERR_BAD_REQUEST on anything
 * else (non-numeric segments, ids out of range, more than four levels).
 */
export function parsePath(text: string): LwM2mPath {
  // Hot: every request and notification parses its path. Valid paths are remembered (bounded);
  // callers get their own copy, as before.
  const known = PARSED.get(text);
  if (known !== undefined) return Object.assign({}, known);
  const parsed = parseUncached(text);
  if (PARSED.size < MAX_PARSED) PARSED.set(text, parsed);
  return Object.assign({}, parsed);
}

const PARSED = new Map<string, Readonly<LwM2mPath>>();
const MAX_PARSED = 10_000;

function parseUncached(text: string): LwM2mPath {
  const trimmed = text.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return {};
  const parts = trimmed.split('/');
  if (parts.length > 4) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `path has more than 4 levels: ${text}`);
  return fromSegments(parts, text);
}

/** Builds a path from URI segments, e.g. CoAP Uri-Path options ["3","0","1"]. */
export function fromSegments(parts: readonly string[], original = parts.join('/')): LwM2mPath {
  if (parts.length > 4) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `path has more than 4 levels: ${original}`);
  const path: LwM2mPath = {};
  parts.forEach((p, i) => {
    if (!/^\d{1,5}$/.test(p)) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `invalid path segment "${p}" in ${original}`);
    const n = Number(p);
    if (n > MAX_ID) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `id ${n} out of range in ${original}`);
    path[KEYS[i]!] = n;
  });
  return path;
}

export function formatPath(path: LwM2mPath): string {
  // Same result as "/" + segments(path).join("/"), without the intermediate array (hot path).
  if (path.objectId === undefined) return '/';
  let out = `/${path.objectId}`;
  if (path.instanceId === undefined) return out;
  out += `/${path.instanceId}`;
  if (path.resourceId === undefined) return out;
  out += `/${path.resourceId}`;
  return path.resourceInstanceId === undefined ? out : `${out}/${path.resourceInstanceId}`;
}

/** The ids of a path, outermost first. */
export function segments(path: LwM2mPath): number[] {
  const out: number[] = [];
  for (const k of KEYS) {
    const v = path[k];
    if (v === undefined) break;
    out.push(v);
  }
  return out;
}

export type PathLevel = 'root' | 'object' | 'instance' | 'resource' | 'resourceInstance';

const LEVELS = ['root', 'object', 'instance', 'resource', 'resourceInstance'] as const;

export function pathLevel(path: LwM2mPath): PathLevel {
  if (path.objectId === undefined) return LEVELS[0];
  if (path.instanceId === undefined) return LEVELS[1];
  if (path.resourceId === undefined) return LEVELS[2];
  return path.resourceInstanceId === undefined ? LEVELS[3] : LEVELS[4];
}

/** Builds a path from ids, outermost first. */
export function pathOf(...ids: number[]): LwM2mPath {
  return fromSegments(ids.map(String));
}

/** True when `inner` equals `outer` or lies below it. */
export function isPrefixOf(outer: LwM2mPath, inner: LwM2mPath): boolean {
  const a = segments(outer);
  const b = segments(inner);
  return a.length <= b.length && a.every((v, i) => b[i] === v);
}

/** Equal as formatted (`formatPath(a) === formatPath(b)`), compared field by field (hot path). */
export function pathsEqual(a: LwM2mPath, b: LwM2mPath): boolean {
  if (a.objectId !== b.objectId) return false;
  if (a.objectId === undefined) return true;
  if (a.instanceId !== b.instanceId) return false;
  if (a.instanceId === undefined) return true;
  if (a.resourceId !== b.resourceId) return false;
  return a.resourceId === undefined || a.resourceInstanceId === b.resourceInstanceId;
}

/** The path of ids already checked (decoded numbers), outermost first; extra ids are ignored. */
export function pathFromIds(ids: readonly number[]): LwM2mPath {
  const [objectId, instanceId, resourceId, resourceInstanceId] = ids;
  const p: LwM2mPath = {};
  if (objectId !== undefined) p.objectId = objectId;
  if (instanceId !== undefined) p.instanceId = instanceId;
  if (resourceId !== undefined) p.resourceId = resourceId;
  if (resourceInstanceId !== undefined) p.resourceInstanceId = resourceInstanceId;
  return p;
}
