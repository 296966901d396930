import type { ModelLookup, ResourceType } from '../model/types.js';

/** Content-Format codes (LwM2M 1.1 §7.4 table 7.4-1, 1.2 for LwM2M CBOR; RFC 7252 §12.3). */
export const ContentFormat = {
  TEXT: 0,
  LINK: 40,
  OPAQUE: 42,
  CBOR: 60,
  SENML_JSON: 110,
  SENML_CBOR: 112,
  TLV_LEGACY: 1542,
  JSON_LEGACY: 1543,
  TLV: 11542,
  JSON: 11543,
  LWM2M_CBOR: 11544,
} as const;
export type ContentFormatCode = (typeof ContentFormat)[keyof typeof ContentFormat];

/**
 * A path in the LwM2M data model: "/" (root, composite and Send), "/3", "/3/0", "/3/0/1",
 * "/3/0/6/0". Each id is 0..65535 (the MAX ID 65535 is reserved).
 */
export interface LwM2mPath {
  objectId?: number;
  instanceId?: number;
  resourceId?: number;
  resourceInstanceId?: number;
}

/** A typed value. The type decides the encoding; opaque is bytes, time is seconds since epoch. */
export type LwM2mValue =
  | { type: 'string'; value: string }
  | { type: 'integer'; value: number | bigint }
  | { type: 'unsigned'; value: number | bigint }
  | { type: 'float'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'opaque'; value: Uint8Array }
  /** Seconds since the Unix epoch (LwM2M "Time"). */
  | { type: 'time'; value: number }
  | { type: 'objlnk'; value: { objectId: number; instanceId: number } }
  | { type: 'corelnk'; value: string }
  | { type: 'none'; value: null };

/** The value types a resource can hold, i.e. ResourceType. */
export type ValueType = ResourceType;

export interface ResourceInstanceNode {
  kind: 'resourceInstance';
  id: number;
  value: LwM2mValue;
}

export interface SingleResourceNode {
  kind: 'resource';
  id: number;
  value: LwM2mValue;
}

export interface MultipleResourceNode {
  kind: 'multipleResource';
  id: number;
  /** The declared type of the instances (from the model, or inferred). */
  type: ValueType;
  /** Resource instances in ascending id order. */
  instances: ResourceInstanceNode[];
}

export type ResourceNode = SingleResourceNode | MultipleResourceNode;

export interface ObjectInstanceNode {
  kind: 'instance';
  id: number;
  /** Resources in ascending id order. */
  resources: ResourceNode[];
}

export interface ObjectNode {
  kind: 'object';
  id: number;
  /** Instances in ascending id order. */
  instances: ObjectInstanceNode[];
}

export type LwM2mNode = ObjectNode | ObjectInstanceNode | ResourceNode | ResourceInstanceNode;

/**
 * One value at a full path (resource or resource instance), optionally timestamped: the flat
 * form used by SenML, OMA JSON and LwM2M CBOR for notifications, Send and composite operations.
 * `time` is seconds since the epoch (SenML resolved time: bt + t, relative times resolved
 * against the receive time given in the codec context).
 */
export interface TimestampedValue {
  path: LwM2mPath;
  value: LwM2mValue;
  time?: number;
}

/** A value in a composite payload may be absent: a Read-Composite request lists paths only. */
export interface CompositeEntry {
  path: LwM2mPath;
  value?: LwM2mValue;
  time?: number;
}

export interface CodecContext {
  models: ModelLookup;
  /** Object versions the device announced at registration, by object id. */
  objectVersions?: ReadonlyMap<number, string>;
  /** "now" in seconds, to resolve SenML relative times. Defaults to the system clock. */
  nowSeconds?: number;
  /** Bounds against hostile input. Defaults in src/content/limits.ts. */
  limits?: Partial<DecodeLimits>;
}

export interface DecodeLimits {
  /** Largest payload a decoder accepts at all (bytes). */
  maxPayloadBytes: number;
  /** Most values (records, TLVs, link entries) in one payload. */
  maxEntries: number;
  /** Deepest nesting (TLV, CBOR maps/arrays). */
  maxDepth: number;
  /** Longest single string/opaque value (bytes). */
  maxValueBytes: number;
}

/** A codec for one Content-Format. Codecs are pure: no I/O, no clocks unless given. */
export interface ContentCodec {
  readonly formats: readonly number[];
  /** Encodes a node found at `path` (the request target). */
  encode(node: LwM2mNode, path: LwM2mPath, ctx: CodecContext): Uint8Array;
  /** Decodes a payload that answers a request on `path` into the node at that path. */
  decode(payload: Uint8Array, path: LwM2mPath, ctx: CodecContext): LwM2mNode;
}

/** Formats that carry many paths and timestamps (SenML JSON/CBOR, OMA JSON, LwM2M CBOR). */
export interface MultiPathCodec extends ContentCodec {
  encodeValues(values: TimestampedValue[], ctx: CodecContext): Uint8Array;
  /** Flat values; `basePath` is the request path for formats whose names are relative to it. */
  decodeValues(payload: Uint8Array, ctx: CodecContext, basePath?: LwM2mPath): TimestampedValue[];
}

/** Formats that also express Read-Composite path lists (SenML JSON/CBOR, LwM2M CBOR). */
export interface CompositeCodec extends MultiPathCodec {
  encodePaths(paths: LwM2mPath[], ctx: CodecContext): Uint8Array;
  decodePaths(payload: Uint8Array, ctx: CodecContext): LwM2mPath[];
}
