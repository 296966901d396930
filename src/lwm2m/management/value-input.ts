import { badPayload, withArticle } from '../../errors.js';
import { formatPath, parsePath, pathLevel } from '../../content/path.js';
import type { LwM2mPath } from '../../content/types.js';
import { valueFromJson, valueToJson, type JsonValue } from '../../content/value-json.js';
import type { ModelLookup, ResourceModel, ResourceType } from '../../model/types.js';
import type { PathValue } from './operation.js';

/**
 * Turns what an API caller writes into typed values, using the object model so plain JSON
 * works: `{"value": 21.5}` for a float resource, `{"value": "2026-01-01T00:00:00Z"}` for a time.
 * A typed value `{"type": "...", "value": ...}` is taken as it is (needed for resources the
 * model does not know).
 *
 *   resource or resource instance:  { "value": X }
 *   multiple resource:              { "values": { "0": X, "1": Y } }
 *   object instance:                { "resources": { "14": X, "6": { "0": X } } }
 */
export function resolveWriteBody(path: string, body: unknown, models: ModelLookup, version?: string): PathValue[] {
  const target = parsePath(path);
  // An array is an object too, and `'values' in []` holds (Array.prototype.values): own keys only.
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badPayload('the request body must be a JSON object: {"value": ...}, {"values": {...}} or {"resources": {...}}');
  const b = body as { value?: unknown; values?: unknown; resources?: unknown };
  switch (pathLevel(target)) {
    case 'resource':
      if (Object.hasOwn(b, 'values')) return multiple(target, b.values, models, version);
      return [single(target, b.value, models, version)];
    case 'resourceInstance':
      return [single(target, b.value, models, version)];
    case 'instance':
      return resources(target, b.resources, models, version);
    default:
      throw badPayload(`cannot write values at ${formatPath(target)}: give an instance, a resource or a resource instance`);
  }
}

/** `{ "14": X, "6": { "0": X } }` under an instance path (also used by Create). */
export function resources(instance: LwM2mPath, body: unknown, models: ModelLookup, version?: string): PathValue[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badPayload('"resources" must be an object keyed by resource id');
  const out: PathValue[] = [];
  for (const [rid, v] of Object.entries(body as Record<string, unknown>)) {
    const path = Object.assign({}, instance, { resourceId: id(rid) });
    const model = models.resource(path.objectId!, path.resourceId, version);
    if (isInstanceMap(v) && (model?.multiple ?? true)) out.push(...multiple(path, v, models, version));
    else out.push(single(path, v, models, version));
  }
  return out;
}

function multiple(path: LwM2mPath, body: unknown, models: ModelLookup, version?: string): PathValue[] {
  if (!isInstanceMap(body)) throw badPayload('"values" must be an object keyed by resource instance id');
  return Object.entries(body).map(([riid, v]) => single(Object.assign({}, path, { resourceInstanceId: id(riid) }), v, models, version));
}

function single(path: LwM2mPath, raw: unknown, models: ModelLookup, version?: string): PathValue {
  if (raw === undefined) throw badPayload(`no value given for ${formatPath(path)}`);
  const model = models.resource(path.objectId!, path.resourceId!, version);
  return { path: formatPath(path), value: coerce(raw, model, formatPath(path)) };
}

function isTyped(v: unknown): v is { type: string; value: unknown } {
  return !!v && typeof v === 'object' && !Array.isArray(v) && 'type' in v;
}

function isInstanceMap(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !isTyped(v) && Object.keys(v).every((k) => /^\d{1,5}$/.test(k));
}

function id(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65534) throw badPayload(`invalid id "${text}"`);
  return Number(text);
}

/** A plain JSON value → the typed value of the model's resource type. */
export function coerce(raw: unknown, model: ResourceModel | undefined, where: string): JsonValue {
  if (isTyped(raw)) return valueToJson(valueFromJson(raw));
  if (!model) throw badPayload(`${where} is not in the object model: give a typed value {"type": ..., "value": ...}`);
  const type: ResourceType = model.type;
  if (type === 'none') throw badPayload(`${where} is executable and holds no value`);
  const typed = plainToTyped(type, raw);
  try {
    return valueToJson(valueFromJson(typed));
  } catch {
    throw badPayload(`${where} is ${withArticle(type)} resource; ${JSON.stringify(raw)} is not a valid ${type}`);
  }
}

function plainToTyped(type: ResourceType, raw: unknown): { type: ResourceType; value: unknown } {
  if (type === 'float' && typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return { type, value: Number(raw) };
  if ((type === 'integer' || type === 'unsigned') && typeof raw === 'string' && /^-?\d+$/.test(raw)) return { type, value: raw };
  if (type === 'boolean' && (raw === 'true' || raw === 'false')) return { type, value: raw === 'true' };
  if (type === 'boolean' && (raw === 0 || raw === 1)) return { type, value: raw === 1 };
  if (type === 'time' && typeof raw === 'string' && /^\d+$/.test(raw)) return { type, value: Number(raw) };
  return { type, value: raw };
}
