import type { IncomingRequest, OutgoingResponse } from '../coap/types.js';
import { COMPOSITE_FORMATS, decode, decodePaths, decodeValues, encode, encodeValues } from '../content/index.js';
import { formatDiscover, parseAttributeQuery, type DiscoverEntry } from '../content/link-attributes.js';
import { fromSegments, pathLevel } from '../content/path.js';
import { nodeToValues } from '../content/tree.js';
import { ContentFormat, type CodecContext, type LwM2mPath, type TimestampedValue } from '../content/types.js';
import { badPayload, Lwm2mError } from '../errors.js';
import type { AttributeStore } from './attributes.js';
import type { InstanceSlots, ObjectTree } from './object-tree.js';
import type { ObservationTable } from './observations.js';

/** One Execute the device received. */
export interface ExecuteRecord {
  path: string;
  /** The arguments as sent (LwM2M 1.1 Core §5.4.5), '' when none. */
  args: string;
  at: number;
}

export interface ManagementContext {
  tree: ObjectTree;
  attributes: AttributeStore;
  observations: ObservationTable;
  lwm2mVersion: string;
  /** Content-Formats the device reads and writes (anything else: 4.06 on Accept, 4.15 on a payload). */
  accepted: ReadonlySet<number>;
  codecContext(): CodecContext;
  now(): number;
  /** Execute side effects (the Registration Update Trigger, a reboot...). */
  onExecute(rec: ExecuteRecord): void;
  /** An instance was created or deleted: the client sends an Update with its new object links. */
  onObjectsChanged(): void;
}

const answer = (code: string, format?: number, payload?: Uint8Array): OutgoingResponse => {
  const r: OutgoingResponse = { code };
  if (format !== undefined) r.contentFormat = format;
  if (payload !== undefined) r.payload = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return r;
};

function lwm2mPath(segs: readonly string[]): LwM2mPath {
  try {
    return fromSegments(segs);
  } catch {
    // Anything that is not an LwM2M path is simply not a resource of this client.
    throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no resource /${segs.join('/')}`);
  }
}

/**
 * The client side of the Device Management and Information Reporting interfaces on CoAP
 * (LwM2M 1.1 Transport §6.4, Core §6.3/§6.4): one function per operation, chosen by method,
 * path level, Accept, Observe and Uri-Query as the Transport spec's mapping table says.
 * Errors are thrown as Lwm2mError; the CoAP responder turns them into 4.xx answers.
 */
export function handleManagement(c: ManagementContext, req: IncomingRequest): OutgoingResponse {
  const path = lwm2mPath(req.path);
  const level = pathLevel(path);
  switch (req.method) {
    case 'GET':
      if (req.accept === ContentFormat.LINK) return discover(c, path);
      if (req.observe === 0) return observe(c, req, path);
      if (req.observe === 1) c.observations.cancelByToken(req.peer, req.token);
      return read(c, req, path);
    case 'FETCH':
      if (level !== 'root') throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', 'FETCH is a composite operation on the root path');
      if (req.observe === 1) c.observations.cancelByToken(req.peer, req.token);
      return readComposite(c, req, req.observe === 0);
    case 'iPATCH':
      if (level !== 'root') throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', 'iPATCH is a composite operation on the root path');
      return writeComposite(c, req);
    case 'PUT':
      if (req.query.length > 0 && req.payload.length === 0) return writeAttributes(c, req, path);
      return write(c, req, path, true);
    case 'POST':
      if (level === 'object') return create(c, req, path);
      if (level === 'resource' && c.tree.slot(path)?.kind === 'executable') return execute(c, req, path);
      if (level === 'resource' && req.contentFormat === undefined && req.payload.length === 0 && c.tree.exists(path)) {
        throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', `${req.path.join('/')} is not executable`);
      }
      if (level === 'instance' || level === 'resource') return write(c, req, path, false);
      throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', 'POST not allowed here');
    case 'DELETE':
      if (level !== 'instance') throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', 'only object instances can be deleted');
      c.tree.deleteInstance(path.objectId!, path.instanceId!);
      c.attributes.removeBelow(path);
      c.onObjectsChanged();
      return answer('2.02');
    default:
      throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', `${req.method} not allowed`);
  }
}

/** The format of a Read answer: the Accept if the device speaks it (else 4.06), or the client's default. */
export function readFormat(c: ManagementContext, path: LwM2mPath, accept: number | undefined): number {
  if (accept !== undefined) {
    if (!c.accepted.has(accept)) throw badPayload(`Content-Format ${accept} is not supported by this client`, '4.06');
    return accept;
  }
  const level = pathLevel(path);
  const slot = c.tree.slot(path);
  const single = level === 'resourceInstance' || (level === 'resource' && slot?.kind === 'single');
  if (!single) return ContentFormat.TLV; // what Wakaama and Leshan answer by default
  const model = c.tree.resourceModel(path.objectId!, path.resourceId!);
  // An opaque value has no text form in 1.0 (TLV there); from 1.1 on, octet-stream.
  if (model?.type === 'opaque') return c.lwm2mVersion === '1.0' ? ContentFormat.TLV : ContentFormat.OPAQUE;
  return ContentFormat.TEXT;
}

function read(c: ManagementContext, req: IncomingRequest, path: LwM2mPath): OutgoingResponse {
  const node = c.tree.read(path);
  const format = readFormat(c, path, req.accept);
  return answer('2.05', format, encode(format, node, path, c.codecContext()));
}

function observe(c: ManagementContext, req: IncomingRequest, path: LwM2mPath): OutgoingResponse {
  const res = read(c, req, path);
  res.observe = c.observations.add({ peer: req.peer, token: req.token, paths: [path], composite: false, format: res.contentFormat! });
  return res;
}

function compositeFormat(c: ManagementContext, format: number | undefined, what: 'payload' | 'answer'): number {
  const code = what === 'payload' ? '4.15' : '4.06';
  if (format === undefined) throw badPayload(`a composite ${what} needs a Content-Format`, what === 'payload' ? '4.00' : '4.06');
  if (!COMPOSITE_FORMATS.includes(format) || !c.accepted.has(format)) throw badPayload(`Content-Format ${format} cannot carry a composite ${what} here`, code);
  return format;
}

function readComposite(c: ManagementContext, req: IncomingRequest, observeIt: boolean): OutgoingResponse {
  if (c.lwm2mVersion === '1.0') throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', 'LwM2M 1.0 has no composite operations');
  const ctx = c.codecContext();
  const inFormat = compositeFormat(c, req.contentFormat, 'payload');
  const outFormat = compositeFormat(c, req.accept ?? inFormat, 'answer');
  const paths = decodePaths(inFormat, req.payload, ctx);
  const values = compositeValues(c, paths);
  const res = answer('2.05', outFormat, encodeValues(outFormat, values, ctx));
  if (observeIt) res.observe = c.observations.add({ peer: req.peer, token: req.token, paths, composite: true, format: outFormat });
  return res;
}

/** Values of a composite path list; paths the client does not have are left out (Leshan does the same). */
export function compositeValues(c: ManagementContext, paths: readonly LwM2mPath[]): TimestampedValue[] {
  return paths.flatMap((p) => (c.tree.exists(p) ? c.tree.values(p) : []));
}

function writeComposite(c: ManagementContext, req: IncomingRequest): OutgoingResponse {
  if (c.lwm2mVersion === '1.0') throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', 'LwM2M 1.0 has no composite operations');
  const format = compositeFormat(c, req.contentFormat, 'payload');
  const values = decodeValues(format, req.payload, {}, c.codecContext());
  c.tree.write(values, { by: 'server', replace: true });
  return answer('2.04');
}

function payloadFormat(c: ManagementContext, req: IncomingRequest, path: LwM2mPath): number {
  const level = pathLevel(path);
  // lwm2m-node-lib style servers omit the Content-Format of a single value: text.
  const format = req.contentFormat ?? (level === 'resource' || level === 'resourceInstance' ? ContentFormat.TEXT : ContentFormat.TLV);
  if (!c.accepted.has(format)) throw badPayload(`Content-Format ${format} is not supported by this client`, '4.15');
  return format;
}

function write(c: ManagementContext, req: IncomingRequest, path: LwM2mPath, replace: boolean): OutgoingResponse {
  if (!c.tree.exists({ objectId: path.objectId!, instanceId: path.instanceId! })) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `/${req.path.join('/')} not found`);
  const node = decode(payloadFormat(c, req, path), req.payload, path, c.codecContext());
  const values = nodeToValues(node, path);
  if (replace && node.kind === 'multipleResource' && node.instances.length === 0) c.tree.clearMultiple(path);
  else c.tree.write(values, { by: 'server', replace });
  return answer('2.04');
}

function writeAttributes(c: ManagementContext, req: IncomingRequest, path: LwM2mPath): OutgoingResponse {
  if (pathLevel(path) === 'root') throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', 'no attributes on the root path');
  if (!c.tree.exists(path)) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `/${req.path.join('/')} not found`);
  c.attributes.apply(path, parseAttributeQuery(req.query));
  c.observations.attributesChanged();
  return answer('2.04');
}

function execute(c: ManagementContext, req: IncomingRequest, path: LwM2mPath): OutgoingResponse {
  c.onExecute({ path: `/${req.path.join('/')}`, args: req.payload.toString('utf8'), at: c.now() });
  return answer('2.04');
}

/**
 * Create (§6.3.6): the payload names the new instance (TLV object-instance record, SenML names
 * /oid/iid/rid) or holds only its resources, in which case the client picks the id and tells it
 * with Location-Path.
 */
function create(c: ManagementContext, req: IncomingRequest, path: LwM2mPath): OutgoingResponse {
  const objectId = path.objectId!;
  if (!c.tree.hasObject(objectId)) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `object ${objectId} not supported`);
  const format = payloadFormat(c, req, path);
  const values = createValues(c, format, req.payload, objectId);
  const iids = new Set(values.map((v) => v.path.instanceId!));
  const instanceId = iids.size === 1 ? [...iids][0]! : iids.size === 0 ? c.tree.freeInstanceId(objectId) : undefined;
  if (instanceId === undefined) throw badPayload('Create carries exactly one instance', '4.00');
  const slots: InstanceSlots = new Map();
  for (const r of c.tree.models.object(objectId, c.tree.objectVersions.get(objectId))?.resources ?? []) {
    if (r.type === 'none') slots.set(r.id, { kind: 'executable' });
  }
  c.tree.createInstance(objectId, instanceId, slots);
  c.tree.write(values, { by: 'device' });
  c.onObjectsChanged();
  const res = answer('2.01');
  res.locationPath = [String(objectId), String(instanceId)];
  return res;
}

/** The values of a Create payload, at the instance it names or at the lowest free instance id. */
function createValues(c: ManagementContext, format: number, payload: Buffer, objectId: number): TimestampedValue[] {
  const ctx = c.codecContext();
  const atObject = { objectId };
  const atFree = { objectId, instanceId: c.tree.freeInstanceId(objectId) };
  if (format === ContentFormat.TLV || format === ContentFormat.TLV_LEGACY) {
    // LwM2M 1.1 Core §7.4.3: type bits 00 mark an object-instance record, which names the id.
    const namesInstance = payload.length > 0 && payload[0]! >> 6 === 0;
    const at = namesInstance ? atObject : atFree;
    return nodeToValues(decode(format, payload, at, ctx), at);
  }
  try {
    return nodeToValues(decode(format, payload, atObject, ctx), atObject);
  } catch {
    // A payload that does not name its instance (e.g. LwM2M CBOR keyed from the resources).
    return nodeToValues(decode(format, payload, atFree, ctx), atFree);
  }
}

function discover(c: ManagementContext, path: LwM2mPath): OutgoingResponse {
  const level = pathLevel(path);
  if (level === 'root') throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', 'Discover of the root path is a Bootstrap operation');
  if (level === 'resourceInstance') throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', 'Discover targets an object, instance or resource');
  if (!c.tree.exists(path)) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', 'not found');
  const entries: DiscoverEntry[] = [];
  const oid = path.objectId!;
  const resourceEntries = (iid: number, only?: number): void => {
    const inst = c.tree.instance(oid, iid)!;
    for (const rid of [...inst.keys()].sort((a, b) => a - b)) {
      if (only !== undefined && rid !== only) continue;
      const p = { objectId: oid, instanceId: iid, resourceId: rid };
      const s = inst.get(rid)!;
      // §6.3.2: a Discover of one resource reports the attributes in force, inherited ones included.
      const e: DiscoverEntry = { path: p, attributes: only !== undefined ? c.attributes.effective(p) : c.attributes.at(p), other: {} };
      if (s.kind === 'multiple') e.dim = s.instances.size;
      entries.push(e);
    }
  };
  if (level === 'resource') resourceEntries(path.instanceId!, path.resourceId!);
  else {
    if (level === 'object') {
      const e: DiscoverEntry = { path: { objectId: oid }, attributes: c.attributes.at({ objectId: oid }), other: {} };
      const ver = c.tree.objectVersions.get(oid);
      if (ver !== undefined) e.ver = ver;
      entries.push(e);
    }
    for (const iid of level === 'object' ? c.tree.instanceIds(oid) : [path.instanceId!]) {
      entries.push({ path: { objectId: oid, instanceId: iid }, attributes: c.attributes.at({ objectId: oid, instanceId: iid }), other: {} });
      resourceEntries(iid);
    }
  }
  return answer('2.05', ContentFormat.LINK, Buffer.from(formatDiscover(entries), 'utf8'));
}
