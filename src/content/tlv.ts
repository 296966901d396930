import { badPayload, Lwm2mError } from '../errors.js';
import type { ResourceType } from '../model/types.js';
import { limitsOf } from './limits.js';
import { formatPath, pathLevel } from './path.js';
import { readTlv, writeTlv, type TlvRecord } from './tlv-record.js';
import { decodeTlvValue, encodeTlvValue } from './tlv-values.js';
import {
  ContentFormat,
  type CodecContext,
  type ContentCodec,
  type LwM2mNode,
  type LwM2mPath,
  type ObjectInstanceNode,
  type ResourceInstanceNode,
  type ResourceNode,
} from './types.js';

/**
 * LwM2M TLV (application/vnd.oma.lwm2m+tlv, 11542; 1542 is the pre-registration code some
 * 1.0 clients still use; LwM2M 1.1 §7.4.3). TLV carries no value types, so decoding asks the
 * object model; a resource the model does not know is kept as opaque and reported as a warning
 * rather than failing the whole payload.
 *
 * Shapes accepted when decoding, by request path:
 *   /o       object-instance TLVs (as every client sends); bare resources are read as instance 0
 *   /o/i     the resources, bare or wrapped in one object-instance TLV with id i
 *   /o/i/r   one resource TLV, one multiple-resource TLV, or bare resource-instance TLVs
 *   /o/i/r/n one resource-instance TLV, or a multiple-resource TLV holding only instance n
 * Shapes written when encoding: an object wraps each instance; an instance at /o/i is written
 * bare (Wakaama answers 4.04 to a wrapped instance on PUT /o/i); an instance at /o (Create with
 * an id) is wrapped; resources and resource instances are one TLV.
 */
export interface TlvDecodeResult {
  node: LwM2mNode;
  /** Things tolerated: unknown resources kept as opaque, broken UTF-8, missing instance id. */
  warnings: string[];
}

interface DecodeState {
  ctx: CodecContext;
  objectId: number;
  warnings: string[];
}

function typeOf(state: DecodeState, resourceId: number, where: string): ResourceType {
  const version = state.ctx.objectVersions?.get(state.objectId);
  const model = state.ctx.models.resource(state.objectId, resourceId, version);
  if (model !== undefined) return model.type;
  state.warnings.push(`${where}: resource not in the object model, kept as opaque`);
  return 'opaque';
}

function leaf(state: DecodeState, bytes: Uint8Array, type: ResourceType, where: string) {
  const { value, warning } = decodeTlvValue(bytes, type, where);
  if (warning !== undefined) state.warnings.push(warning);
  return value;
}

function checkUnique(records: readonly TlvRecord[], where: string): void {
  const seen = new Set<number>();
  for (const r of records) {
    if (seen.has(r.id)) throw badPayload(`TLV: id ${r.id} appears twice in ${where}`, '4.00');
    seen.add(r.id);
  }
}

function byId<T extends { id: number }>(a: T, b: T): number {
  return a.id - b.id;
}

function resourceInstances(state: DecodeState, records: readonly TlvRecord[], type: ResourceType, base: string): ResourceInstanceNode[] {
  checkUnique(records, base);
  return records
    .map((r) => {
      if (r.kind !== 'resourceInstance') throw badPayload(`TLV: ${r.kind} inside resource ${base}`, '4.00');
      return { kind: 'resourceInstance' as const, id: r.id, value: leaf(state, r.value, type, `${base}/${r.id}`) };
    })
    .sort(byId);
}

function resource(state: DecodeState, r: TlvRecord, instanceBase: string): ResourceNode {
  const where = `${instanceBase}/${r.id}`;
  if (r.kind === 'resource') return { kind: 'resource', id: r.id, value: leaf(state, r.value, typeOf(state, r.id, where), where) };
  if (r.kind === 'multipleResource') {
    const type = typeOf(state, r.id, where);
    return { kind: 'multipleResource', id: r.id, type, instances: resourceInstances(state, r.children, type, where) };
  }
  throw badPayload(`TLV: ${r.kind} ${r.id} where a resource was expected in ${instanceBase}`, '4.00');
}

function instance(state: DecodeState, id: number, records: readonly TlvRecord[]): ObjectInstanceNode {
  const base = `/${state.objectId}/${id}`;
  checkUnique(records, base);
  return { kind: 'instance', id, resources: records.map((r) => resource(state, r, base)).sort(byId) };
}

const isResourceKind = (r: TlvRecord): boolean => r.kind === 'resource' || r.kind === 'multipleResource';

/** Decodes a TLV payload answering a request on `path`, with warnings. */
export function decodeTlv(payload: Uint8Array, path: LwM2mPath, ctx: CodecContext): TlvDecodeResult {
  const records = readTlv(payload, limitsOf(ctx));
  const level = pathLevel(path);
  if (level === 'root') throw badPayload('TLV cannot carry a payload for the root path', '4.00');
  const state: DecodeState = { ctx, objectId: path.objectId!, warnings: [] };
  const target = formatPath(path);
  const node = decodeAt(state, records, path, level, target);
  return { node, warnings: state.warnings };
}

function decodeAt(state: DecodeState, records: TlvRecord[], path: LwM2mPath, level: string, target: string): LwM2mNode {
  if (level === 'object') {
    if (records.length > 0 && records.every(isResourceKind)) {
      state.warnings.push(`${target}: resources without an object-instance TLV, read as instance 0`);
      return { kind: 'object', id: state.objectId, instances: [instance(state, 0, records)] };
    }
    checkUnique(records, target);
    const instances = records.map((r) => {
      if (r.kind !== 'instance') throw badPayload(`TLV: ${r.kind} ${r.id} next to object instances in ${target}`, '4.00');
      return instance(state, r.id, r.children);
    });
    return { kind: 'object', id: state.objectId, instances: instances.sort(byId) };
  }
  if (level === 'instance') {
    const iid = path.instanceId!;
    const [first] = records;
    if (records.length === 1 && first!.kind === 'instance') {
      if (first!.id !== iid) throw badPayload(`TLV: object instance ${first!.id} in a payload for ${target}`, '4.00');
      return instance(state, iid, first!.children);
    }
    if (!records.every(isResourceKind)) throw badPayload(`TLV: expected the resources of ${target}`, '4.00');
    return instance(state, iid, records);
  }
  const rid = path.resourceId!;
  const instanceBase = `/${state.objectId}/${path.instanceId!}`;
  if (level === 'resource') {
    if (records.length === 0) throw badPayload(`TLV: empty payload for ${target}`, '4.00');
    if (records.every((r) => r.kind === 'resourceInstance')) {
      const type = typeOf(state, rid, target);
      return { kind: 'multipleResource', id: rid, type, instances: resourceInstances(state, records, type, target) };
    }
    const [only] = records;
    if (records.length !== 1 || only!.id !== rid) throw badPayload(`TLV: expected one TLV for resource ${target}`, '4.00');
    return resource(state, only!, instanceBase);
  }
  // resource instance
  const riid = path.resourceInstanceId!;
  const [only] = records;
  if (records.length !== 1) throw badPayload(`TLV: expected one TLV for resource instance ${target}`, '4.00');
  const type = () => typeOf(state, rid, target);
  if (only!.kind === 'resourceInstance' && only!.id === riid) {
    return { kind: 'resourceInstance', id: riid, value: leaf(state, only!.value, type(), target) };
  }
  if (only!.kind === 'multipleResource' && only!.id === rid && only!.children.length === 1 && only!.children[0]!.id === riid) {
    return resourceInstances(state, only!.children, type(), `${instanceBase}/${rid}`)[0]!;
  }
  throw badPayload(`TLV: expected resource instance ${target}`, '4.00');
}

function resourceRecord(r: ResourceNode): TlvRecord {
  if (r.kind === 'resource') return { kind: 'resource', id: r.id, value: encodeTlvValue(r.value) };
  return { kind: 'multipleResource', id: r.id, children: r.instances.map((ri) => ({ kind: 'resourceInstance', id: ri.id, value: encodeTlvValue(ri.value) })) };
}

function instanceRecord(i: ObjectInstanceNode): TlvRecord {
  return { kind: 'instance', id: i.id, children: i.resources.map(resourceRecord) };
}

function mismatch(node: LwM2mNode, path: LwM2mPath): never {
  throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `TLV: cannot write ${node.kind} ${node.id} for ${formatPath(path)}`);
}

/** Encodes `node` as the payload for a request on `path` (see the shapes above). */
export function encodeTlv(node: LwM2mNode, path: LwM2mPath, _ctx?: CodecContext): Uint8Array {
  const level = pathLevel(path);
  if (level === 'root') throw badPayload('TLV cannot carry a payload for the root path', '4.06');
  const last = [path.objectId, path.instanceId, path.resourceId, path.resourceInstanceId].filter((x) => x !== undefined).at(-1);
  if (level === 'object' && node.kind === 'instance') return writeTlv([instanceRecord(node)]);
  if (node.id !== last) mismatch(node, path);
  switch (node.kind) {
    case 'object':
      if (level !== 'object') mismatch(node, path);
      return writeTlv(node.instances.map(instanceRecord));
    case 'instance':
      if (level !== 'instance') mismatch(node, path);
      return writeTlv(node.resources.map(resourceRecord));
    case 'resource':
    case 'multipleResource':
      if (level !== 'resource') mismatch(node, path);
      return writeTlv([resourceRecord(node)]);
    case 'resourceInstance':
      if (level !== 'resourceInstance') mismatch(node, path);
      return writeTlv([{ kind: 'resourceInstance', id: node.id, value: encodeTlvValue(node.value) }]);
  }
}

export const tlvCodec: ContentCodec = {
  formats: [ContentFormat.TLV, ContentFormat.TLV_LEGACY],
  encode: (node, path, ctx) => encodeTlv(node, path, ctx),
  decode: (payload, path, ctx) => decodeTlv(payload, path, ctx).node,
};
