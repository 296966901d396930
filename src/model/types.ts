/**
 * Object models (OMA LwM2M registry, LwM2M 1.1 §7.1 "Object Model" / DDF). Facts only: no prose.
 * This shape is also the on-disk JSON form in `objects/<id>-<version>.json`.
 */
export type ResourceType =
  | 'string'
  | 'integer'
  | 'unsigned'
  | 'float'
  | 'boolean'
  | 'opaque'
  | 'time'
  | 'objlnk'
  | 'corelnk'
  | 'none';

/** Subset of "RWE": R read, W write, E execute. "" for none (e.g. object-level items). */
export type Operations = '' | 'R' | 'W' | 'RW' | 'E';

export interface ResourceModel {
  id: number;
  name: string;
  operations: Operations;
  multiple: boolean;
  mandatory: boolean;
  type: ResourceType;
  /** RangeEnumeration as written in the DDF, e.g. "0..100" or "1-255"; omitted when empty. */
  range?: string;
  units?: string;
}

export interface ObjectModel {
  id: number;
  name: string;
  /** ObjectVersion, "1.0" when the DDF omits it. */
  version: string;
  /** LWM2MVersion the object was defined for, "1.0" when omitted. */
  lwm2mVersion: string;
  urn?: string;
  multiple: boolean;
  mandatory: boolean;
  resources: ResourceModel[];
}

/** What codecs need from the model registry: lookups, never I/O. */
export interface ModelLookup {
  /** The model for an object, optionally for a given object version (best match otherwise). */
  object(objectId: number, version?: string): ObjectModel | undefined;
  resource(objectId: number, resourceId: number, version?: string): ResourceModel | undefined;
}
