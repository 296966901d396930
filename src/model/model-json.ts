/**
 * Our on-disk JSON form of an object model (`objects/<id>-<version>.json`): exactly an
 * ObjectModel, keys in a fixed order, 2-space indent, trailing newline, so a regenerated
 * file is byte-identical when nothing changed. The reader is strict: every field is checked
 * and an unknown key is an error, because a typo in a custom model would otherwise silently
 * change how payloads are decoded.
 */
import { Lwm2mError } from '../errors.js';
import type { ObjectModel, Operations, ResourceModel, ResourceType } from './types.js';
import { isVersion } from './version.js';

export const RESOURCE_TYPES: readonly ResourceType[] = [
  'string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk', 'none',
];
export const OPERATIONS: readonly Operations[] = ['', 'R', 'W', 'RW', 'E'];

/** Object and resource IDs are 16-bit (LwM2M 1.1 §7.1: 0..65535; 65535 is reserved but seen). */
const MAX_ID = 65535;

/** Canonical file name of a model: `3-1.2.json`. */
export function modelFileName(model: Pick<ObjectModel, 'id' | 'version'>): string {
  return `${model.id}-${model.version}.json`;
}

/** A copy with keys in the canonical order, resources sorted by ID, empty optionals dropped. */
export function canonicalModel(model: ObjectModel): ObjectModel {
  const out: ObjectModel = {
    id: model.id,
    name: model.name,
    version: model.version,
    lwm2mVersion: model.lwm2mVersion,
    ...(model.urn !== undefined && model.urn !== '' ? { urn: model.urn } : {}),
    multiple: model.multiple,
    mandatory: model.mandatory,
    resources: [...model.resources].sort((a, b) => a.id - b.id).map(canonicalResource),
  };
  return out;
}

function canonicalResource(r: ResourceModel): ResourceModel {
  return {
    id: r.id,
    name: r.name,
    operations: r.operations,
    multiple: r.multiple,
    mandatory: r.mandatory,
    type: r.type,
    ...(r.range !== undefined && r.range !== '' ? { range: r.range } : {}),
    ...(r.units !== undefined && r.units !== '' ? { units: r.units } : {}),
  };
}

export function serializeModel(model: ObjectModel): string {
  return `${JSON.stringify(canonicalModel(model), null, 2)}\n`;
}

/** Parse and validate the text of one JSON model file; errors name `file` and the field. */
export function parseModelJson(text: string, file: string): ObjectModel {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Lwm2mError('LWM2M_ERR_MODEL', `${file}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  return validateModel(value, file);
}

const OBJECT_KEYS = new Set(['id', 'name', 'version', 'lwm2mVersion', 'urn', 'multiple', 'mandatory', 'resources']);
const RESOURCE_KEYS = new Set(['id', 'name', 'operations', 'multiple', 'mandatory', 'type', 'range', 'units']);

/** Check that `value` is exactly an ObjectModel; returns a canonical copy. */
export function validateModel(value: unknown, file: string): ObjectModel {
  const where = (field: string): string => `${file}: ${field}`;
  const obj = record(value, where('top level'), 'an object');
  rejectUnknownKeys(obj, OBJECT_KEYS, (k) => where(k));
  const resourcesValue = obj['resources'];
  if (!Array.isArray(resourcesValue)) throw modelError(where('resources'), 'must be an array');
  const seen = new Set<number>();
  const resources = resourcesValue.map((rv: unknown, i: number): ResourceModel => {
    const at = (field: string): string => where(`resources[${i}].${field}`);
    const r = record(rv, where(`resources[${i}]`), 'an object');
    rejectUnknownKeys(r, RESOURCE_KEYS, at);
    const id = idField(r, 'id', at);
    if (seen.has(id)) throw modelError(at('id'), `duplicate resource ID ${id}`);
    seen.add(id);
    const operations = enumField(r, 'operations', OPERATIONS, at);
    const type = enumField(r, 'type', RESOURCE_TYPES, at);
    return {
      id,
      name: stringField(r, 'name', at, true),
      operations,
      multiple: boolField(r, 'multiple', at),
      mandatory: boolField(r, 'mandatory', at),
      type,
      ...optionalString(r, 'range', at),
      ...optionalString(r, 'units', at),
    };
  });
  const model: ObjectModel = {
    id: idField(obj, 'id', where),
    name: stringField(obj, 'name', where, true),
    version: versionField(obj, 'version', where),
    lwm2mVersion: versionField(obj, 'lwm2mVersion', where),
    ...optionalString(obj, 'urn', where),
    multiple: boolField(obj, 'multiple', where),
    mandatory: boolField(obj, 'mandatory', where),
    resources,
  };
  // The literals above are already in canonical key order; only resource order remains.
  model.resources.sort((a, b) => a.id - b.id);
  return model;
}

type Fields = Record<string, unknown>;
type Where = (field: string) => string;

function modelError(where: string, problem: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_MODEL', `${where} ${problem}`);
}

function record(value: unknown, where: string, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw modelError(where, `must be ${what}`);
  return value as Fields;
}

function rejectUnknownKeys(obj: Fields, allowed: ReadonlySet<string>, where: Where): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key)) throw modelError(where(key), 'is not a known field');
  }
}

function idField(obj: Fields, key: string, where: Where): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_ID) {
    throw modelError(where(key), `must be an integer 0..${MAX_ID}`);
  }
  return v;
}

function stringField(obj: Fields, key: string, where: Where, nonEmpty: boolean): string {
  const v = obj[key];
  if (typeof v !== 'string') throw modelError(where(key), 'must be a string');
  if (nonEmpty && v.trim() === '') throw modelError(where(key), 'must not be empty');
  return v;
}

function optionalString(obj: Fields, key: string, where: Where): Record<string, string> {
  if (obj[key] === undefined) return {};
  const v = stringField(obj, key, where, false);
  return v === '' ? {} : { [key]: v };
}

function boolField(obj: Fields, key: string, where: Where): boolean {
  const v = obj[key];
  if (typeof v !== 'boolean') throw modelError(where(key), 'must be true or false');
  return v;
}

function versionField(obj: Fields, key: string, where: Where): string {
  const v = stringField(obj, key, where, true);
  if (!isVersion(v)) throw modelError(where(key), `must look like "1.0", got ${JSON.stringify(v)}`);
  return v;
}

function enumField<T extends string>(obj: Fields, key: string, allowed: readonly T[], where: Where): T {
  const v = obj[key];
  const found = allowed.find((a) => a === v);
  if (found === undefined) {
    throw modelError(where(key), `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return found;
}
