import type { IncomingResponse, OutgoingRequest } from '../../coap/types.js';
import { chooseFormat, type FormatChoiceInput } from '../../content/format-choice.js';
import { decodeFlat, decodeValues, encode, encodePaths, encodeValues } from '../../content/index.js';
import { formatAttributeQuery, parseDiscover } from '../../content/link-attributes.js';
import { formatPath, parsePath, pathLevel, segments } from '../../content/path.js';
import { valuesToNode } from '../../content/tree.js';
import { ContentFormat, type CodecContext, type LwM2mPath, type TimestampedValue } from '../../content/types.js';
import { valueFromJson, valueToJson } from '../../content/value-json.js';
import { Lwm2mError } from '../../errors.js';
import type { Registration } from '../../store/types.js';
import type { DiscoverLink, Operation, OperationResult, PathValue } from './operation.js';

/**
 * The CoAP side of device management (LwM2M 1.1 Transport, the Device Management and
 * Information Reporting interfaces on CoAP): an Operation becomes one CoAP request, and the
 * device's response becomes an OperationResult. Observe requests are built here too; the
 * observation service owns their life.
 */
export interface BuiltRequest {
  request: OutgoingRequest;
  /** The format asked for (Accept) or written in. */
  format?: number;
  /** The LwM2M path the request targets (root for composite). */
  target: LwM2mPath;
}

type Simple = Exclude<Operation, { op: 'cancel-observe' } | { op: 'cancel-observe-composite' }>;

export function buildRequest(reg: Registration, op: Simple, ctx: CodecContext): BuiltRequest {
  switch (op.op) {
    case 'read':
    case 'observe': {
      const target = parsePath(op.path);
      const format = pickFormat(reg, target, ctx, op.format, op.op === 'read' ? 'read' : 'observe');
      const request: OutgoingRequest = { method: 'GET', path: reg.rootPath === '/' ? plainUriPath(op.path, target) : uriPath(reg, target), accept: format };
      if (op.op === 'observe') request.observe = 0;
      return { request, format, target };
    }
    case 'discover': {
      const target = parsePath(op.path);
      return { request: { method: 'GET', path: uriPath(reg, target), accept: ContentFormat.LINK }, format: ContentFormat.LINK, target };
    }
    case 'write': {
      const target = parsePath(op.path);
      const format = pickFormat(reg, target, ctx, op.format, 'write');
      const payload = encodeAt(format, op.values, target, ctx);
      return { request: { method: op.mode === 'replace' ? 'PUT' : 'POST', path: uriPath(reg, target), contentFormat: format, payload }, format, target };
    }
    case 'write-attributes': {
      const target = parsePath(op.path);
      return { request: { method: 'PUT', path: uriPath(reg, target), query: formatAttributeQuery(op.attributes) }, target };
    }
    case 'execute': {
      const target = parsePath(op.path);
      if (pathLevel(target) !== 'resource') throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', 'Execute targets a resource');
      const request: OutgoingRequest = { method: 'POST', path: uriPath(reg, target) };
      if (op.args !== undefined && op.args !== '') request.payload = Buffer.from(op.args, 'utf8');
      return { request, target };
    }
    case 'create': {
      const target = parsePath(op.path);
      if (pathLevel(target) !== 'object') throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', 'Create targets an object');
      // Without an instance id the payload is the new instance's resources alone, which only
      // TLV and LwM2M CBOR can say without naming an instance (LwM2M 1.1 Core §6.3, Create).
      const format = op.format ?? (op.instanceId === undefined ? ContentFormat.TLV : pickFormat(reg, target, ctx, undefined, 'write'));
      const iid = op.instanceId ?? 0;
      const at: LwM2mPath = { objectId: target.objectId!, instanceId: iid };
      const values = op.values.map((v) => Object.assign({}, v, { path: formatPath(Object.assign(parsePath(v.path), { objectId: target.objectId!, instanceId: iid })) }));
      const payload = op.instanceId === undefined ? encodeAt(format, values, at, ctx) : encodeAt(format, values, target, ctx);
      return { request: { method: 'POST', path: uriPath(reg, target), contentFormat: format, payload }, format, target };
    }
    case 'delete': {
      const target = parsePath(op.path);
      return { request: { method: 'DELETE', path: uriPath(reg, target) }, target };
    }
    case 'read-composite':
    case 'observe-composite': {
      const format = pickFormat(reg, {}, ctx, op.format, 'composite');
      const payload = Buffer.from(encodePaths(format, op.paths.map(parsePath), ctx));
      const request: OutgoingRequest = { method: 'FETCH', path: uriPath(reg, {}), contentFormat: format, accept: format, payload };
      if (op.op === 'observe-composite') request.observe = 0;
      return { request, format, target: {} };
    }
    case 'write-composite': {
      const format = pickFormat(reg, {}, ctx, op.format, 'composite');
      const payload = Buffer.from(encodeValues(format, op.values.map(toTimestamped), ctx));
      return { request: { method: 'iPATCH', path: uriPath(reg, {}), contentFormat: format, payload }, format, target: {} };
    }
  }
}

/** The response a device gave to `op`, as a result (values decoded with the model). */
export function interpretResponse(op: Simple, built: BuiltRequest, res: IncomingResponse, ctx: CodecContext): OperationResult {
  const base: OperationResult = { ok: res.code.startsWith('2.'), code: res.code };
  if (res.contentFormat !== undefined) base.format = res.contentFormat;
  if (!base.ok) {
    const text = res.payload.length > 0 && res.payload.length < 512 ? res.payload.toString('utf8') : '';
    base.error = { code: 'LWM2M_ERR_DEVICE_ERROR', message: `device answered ${res.code}${text ? `: ${text}` : ''}` };
    return base;
  }
  switch (op.op) {
    case 'read':
    case 'observe':
    case 'read-composite':
    case 'observe-composite':
      base.values = decodeResponse(res, built, ctx).map(toPathValue);
      return base;
    case 'discover':
      base.links = parseDiscover(res.payload).map(
        (e): DiscoverLink => ({ path: formatPath(e.path), attributes: e.attributes, ...(e.dim !== undefined ? { dim: e.dim } : {}), ...(e.ver !== undefined ? { ver: e.ver } : {}) }),
      );
      return base;
    case 'create': {
      const loc = stripRoot(res.locationPath, built.request.path.length - 1);
      if (loc.length > 0) base.location = `/${loc.join('/')}`;
      else if (op.instanceId !== undefined) base.location = formatPath({ objectId: built.target.objectId!, instanceId: op.instanceId });
      return base;
    }
    default:
      return base;
  }
}

/** Decodes a 2.05 payload (read, observe, notification) into flat timestamped values. */
export function decodeResponse(res: IncomingResponse, built: BuiltRequest, ctx: CodecContext): TimestampedValue[] {
  // lwm2m-node-lib answers single values as text with no Content-Format option.
  const level = pathLevel(built.target);
  const format = res.contentFormat ?? (level === 'resource' || level === 'resourceInstance' ? ContentFormat.TEXT : built.format ?? ContentFormat.TLV);
  if (level === 'root') return decodeValues(format, res.payload, built.target, ctx);
  return decodeFlat(format, res.payload, built.target, ctx);
}

function pickFormat(reg: Registration, target: LwM2mPath, ctx: CodecContext, override: number | undefined, operation: 'read' | 'write' | 'composite' | 'observe'): number {
  const level = pathLevel(target);
  const model = target.resourceId === undefined ? undefined : ctx.models.resource(target.objectId!, target.resourceId, ctx.objectVersions?.get(target.objectId!));
  // Built field by field (no spreads): this runs for every request.
  const input: FormatChoiceInput = { lwm2mVersion: reg.lwm2mVersion, supportedFormats: reg.supportedFormats, level, operation };
  if (model && (level === 'resource' || level === 'resourceInstance')) {
    if (level === 'resource') input.multipleResource = model.multiple;
    input.resourceType = model.type;
  }
  if (override !== undefined) input.override = override;
  return chooseFormat(input);
}

function encodeAt(format: number, values: PathValue[], target: LwM2mPath, ctx: CodecContext): Buffer {
  const node = valuesToNode(values.map(toTimestamped), target, ctx);
  return Buffer.from(encode(format, node, target, ctx));
}

function toTimestamped(v: PathValue): TimestampedValue {
  const out: TimestampedValue = { path: parsePath(v.path), value: valueFromJson(v.value) };
  if (v.time !== undefined) out.time = v.time / 1000;
  return out;
}

export function toPathValue(v: TimestampedValue): PathValue {
  const out: PathValue = { path: formatPath(v.path), value: valueToJson(v.value) };
  if (v.time !== undefined) out.time = Math.round(v.time * 1000);
  return out;
}

/** Uri-Path segments: the registration's alternate root path, then the LwM2M path. */
export function uriPath(reg: Registration, path: LwM2mPath): string[] {
  const root = reg.rootPath === '/' ? [] : reg.rootPath.split('/').filter((s) => s !== '');
  return [...root, ...segments(path).map(String)];
}

/**
 * Uri-Path segments of a path under the root "/", remembered per path text (bounded): every
 * read of the same resource sends the same segments. Frozen, as the arrays are shared.
 */
function plainUriPath(text: string, path: LwM2mPath): string[] {
  const known = PLAIN_URI_PATHS.get(text);
  if (known !== undefined) return known;
  const segs = Object.freeze(segments(path).map(String)) as string[];
  if (PLAIN_URI_PATHS.size < 10_000) PLAIN_URI_PATHS.set(text, segs);
  return segs;
}

const PLAIN_URI_PATHS = new Map<string, string[]>();

function stripRoot(location: string[], rootLen: number): string[] {
  return rootLen > 0 && location.length > rootLen ? location.slice(rootLen) : location;
}
