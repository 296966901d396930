import { parsePath, formatPath } from '../content/path.js';
import { endpointNameProblem } from '../lwm2m/endpoint-name.js';
import { ruleError } from './rule-error.js';

/**
 * Which devices: an endpoint name, a pattern with `*` ("presence-*"), or a tag
 * ("tag:street=5"). In actions the selector may hold templates ("tag:street={{tags.street}}");
 * it is then parsed again once the templates are filled in.
 */
export type DeviceSelector =
  | { kind: 'name'; name: string }
  | { kind: 'pattern'; pattern: string; regex: RegExp }
  | { kind: 'tag'; key: string; value: string };

/** A reported-value path: the object id is fixed (rules are indexed by it), the rest may be `*`. */
export interface PathPattern {
  text: string;
  objectId: number;
  /** undefined: any. */
  instanceId?: number;
  resourceId?: number;
  resourceInstanceId?: number;
}

const MAX_SELECTOR = 256;

export function parseDevices(text: string, field: string): DeviceSelector {
  if (text === '' || text.length > MAX_SELECTOR) throw ruleError(field, 'give devices as a name, a pattern such as "lamp-*", or "tag:key=value"');
  if (text.startsWith('tag:')) {
    const m = /^tag:([A-Za-z0-9_.-]{1,64})=(.{1,128})$/.exec(text);
    if (!m) throw ruleError(field, `"${text}" is not "tag:key=value"`);
    return { kind: 'tag', key: m[1]!, value: m[2]! };
  }
  // Names as devices may register them (src/lwm2m/endpoint-name.ts): spaces and accents are fine.
  const problem = endpointNameProblem(text);
  if (problem !== undefined) throw ruleError(field, `device name ${JSON.stringify(text)} ${problem}`);
  if (text.includes('*')) {
    const source = text.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    return { kind: 'pattern', pattern: text, regex: new RegExp(`^${source}$`) };
  }
  return { kind: 'name', name: text };
}

export function selectorText(s: DeviceSelector): string {
  return s.kind === 'name' ? s.name : s.kind === 'pattern' ? s.pattern : `tag:${s.key}=${s.value}`;
}

/** True when a device matches; `tags` is asked only for tag selectors. */
export function matchesName(s: DeviceSelector, endpoint: string): boolean | undefined {
  if (s.kind === 'name') return s.name === endpoint;
  if (s.kind === 'pattern') return s.regex.test(endpoint);
  return undefined;
}

export function matchesDevice(s: DeviceSelector, endpoint: string, tags: Record<string, string>): boolean {
  return matchesName(s, endpoint) ?? tags[(s as { key: string }).key] === (s as { value: string }).value;
}

/** Splits "<devices>:<path>" at the last ":/" (endpoint names such as "urn:dev:1" keep their colons). */
export function splitTarget(text: string, field: string): { devices: string; path: string } {
  const i = text.lastIndexOf(':/');
  if (i <= 0) throw ruleError(field, `"${text}" is not "<devices>:<path>", e.g. "lamp-*:/3311/0/5850"`);
  return { devices: text.slice(0, i), path: text.slice(i + 1) };
}

export function parsePathPattern(text: string, field: string): PathPattern {
  const parts = text.replace(/^\/+/, '').split('/');
  if (parts.length < 1 || parts.length > 4 || parts.some((p) => p === '')) throw ruleError(field, `"${text}" is not a path such as /3303/0/5700 or /3302/*/5500`);
  const ids = parts.map((p, i) => {
    if (p === '*' && i > 0) return undefined;
    if (!/^\d{1,5}$/.test(p) || Number(p) > 65534) throw ruleError(field, `"${text}": segment "${p}" must be an id${i > 0 ? ' or *' : ' (the object id cannot be *)'}`);
    return Number(p);
  });
  const out: PathPattern = { text: `/${parts.join('/')}`, objectId: ids[0]! };
  if (ids[1] !== undefined) out.instanceId = ids[1];
  if (ids[2] !== undefined) out.resourceId = ids[2];
  if (ids[3] !== undefined) out.resourceInstanceId = ids[3];
  return out;
}

/** Does a reported path ("/3302/0/5500") match? Levels the pattern leaves out match anything. */
export function matchesPath(p: PathPattern, ids: readonly number[]): boolean {
  if (ids[0] !== p.objectId) return false;
  if (p.instanceId !== undefined && ids[1] !== p.instanceId) return false;
  if (p.resourceId !== undefined && ids[2] !== p.resourceId) return false;
  if (p.resourceInstanceId !== undefined && ids[3] !== p.resourceInstanceId) return false;
  return true;
}

/** "/3302/0/5500" → [3302, 0, 5500], without the validation cost of parsePath (hot path). */
export function pathIds(path: string): number[] {
  const out: number[] = [];
  let n = -1;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 47) {
      if (n >= 0) out.push(n);
      n = -1;
    } else if (c >= 48 && c <= 57) n = (n < 0 ? 0 : n * 10) + (c - 48);
    else return [];
  }
  if (n >= 0) out.push(n);
  return out;
}

/** An action's target path: concrete (no `*`). */
export function parseActionPath(text: string, field: string, level: 'object' | 'resource' | 'any'): string {
  let formatted: string;
  try {
    formatted = formatPath(parsePath(text));
  } catch {
    throw ruleError(field, `"${text}" is not a path such as /3311/0/5850`);
  }
  const depth = formatted.split('/').length - 1;
  if (level === 'object' && depth !== 1) throw ruleError(field, `"${text}": create takes an object path such as /3303`);
  if (level === 'any' && depth < 2) throw ruleError(field, `"${text}": give an instance, resource or resource instance`);
  if (level === 'resource' && depth < 3) throw ruleError(field, `"${text}": a write takes a resource or resource instance path such as /3311/0/5850`);
  return formatted;
}
