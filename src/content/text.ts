import { badPayload, Lwm2mError, withArticle } from '../errors.js';
import type { ResourceType } from '../model/types.js';
import { limitsOf } from './limits.js';
import { formatPath, pathLevel } from './path.js';
import { ContentFormat, type CodecContext, type ContentCodec, type LwM2mNode, type LwM2mPath, type LwM2mValue } from './types.js';
import { formatDecimal, parseDecimal, parseInteger } from './value-text.js';

/**
 * text/plain (Content-Format 0, LwM2M 1.1 §7.4.1 and Appendix C "Text" column): one value of a
 * single resource or resource instance.
 *   string, corelnk  UTF-8            integer, time  decimal ("-12", time in seconds)
 *   unsigned         decimal >= 0     float          shortest round-tripping decimal, no exponent
 *   boolean          "0" / "1"        objlnk         "oid:iid"
 *   opaque           base64 (RFC 4648 §4, padded)   none  empty
 * Structure errors: encoding a node with several values is 4.06 (the requested format cannot
 * express it); decoding a text payload for a path that is not one value is 4.15 (the format is
 * unsupported for that target). A malformed value is 4.00.
 */
export interface TextDecodeResult {
  node: LwM2mNode;
  warnings: string[];
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The text of one value. */
export function formatTextValue(value: LwM2mValue): string {
  switch (value.type) {
    case 'string':
    case 'corelnk':
      return value.value;
    case 'integer':
    case 'unsigned':
    case 'time': {
      if (typeof value.value === 'number' && !Number.isInteger(value.value)) {
        throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `${value.type} ${value.value} is not a whole number`);
      }
      return BigInt(value.value).toString();
    }
    case 'float':
      return formatDecimal(value.value);
    case 'boolean':
      return value.value ? '1' : '0';
    case 'objlnk':
      return `${value.value.objectId}:${value.value.instanceId}`;
    case 'opaque':
      return toBase64(value.value);
    case 'none':
      return '';
  }
}

function integerIn(text: string, min: bigint, max: bigint, type: string, where: string): number | bigint {
  const n = parseInteger(text);
  if (n === undefined || BigInt(n) < min || BigInt(n) > max) throw badPayload(`${where}: "${text.slice(0, 40)}" is not a valid ${type}`, '4.00');
  return n;
}

/** Parses the text of one value as `type`; `warnings` receives tolerated problems. */
export function parseTextValue(bytes: Uint8Array, type: ResourceType, where: string, warnings: string[]): LwM2mValue {
  if (type === 'opaque') {
    const text = Buffer.from(bytes).toString('latin1');
    if (!BASE64.test(text)) throw badPayload(`${where}: opaque value is not base64`, '4.00');
    return { type: 'opaque', value: new Uint8Array(Buffer.from(text, 'base64')) };
  }
  let text: string;
  try {
    text = utf8Strict.decode(bytes);
  } catch {
    if (type !== 'string' && type !== 'corelnk') throw badPayload(`${where}: ${type} value is not valid UTF-8`, '4.00');
    // Same rule as TLV strings: broken UTF-8 from a client is kept (U+FFFD) and reported.
    text = utf8Lenient.decode(bytes);
    warnings.push(`${where}: invalid UTF-8 replaced by U+FFFD`);
  }
  switch (type) {
    case 'string':
      return { type: 'string', value: text };
    case 'corelnk':
      return { type: 'corelnk', value: text };
    case 'integer':
      return { type: 'integer', value: integerIn(text, INT64_MIN, INT64_MAX, type, where) };
    case 'unsigned':
      return { type: 'unsigned', value: integerIn(text, 0n, UINT64_MAX, type, where) };
    case 'time':
      return { type: 'time', value: Number(integerIn(text, BigInt(Number.MIN_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER), 'time', where)) };
    case 'float': {
      const n = parseDecimal(text);
      if (n === undefined) throw badPayload(`${where}: "${text.slice(0, 40)}" is not a decimal number`, '4.00');
      return { type: 'float', value: n };
    }
    case 'boolean':
      if (text !== '0' && text !== '1') throw badPayload(`${where}: boolean must be "0" or "1", got "${text.slice(0, 40)}"`, '4.00');
      return { type: 'boolean', value: text === '1' };
    case 'objlnk': {
      const m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
      if (!m || Number(m[1]) > 65535 || Number(m[2]) > 65535) throw badPayload(`${where}: "${text.slice(0, 40)}" is not an object link "oid:iid"`, '4.00');
      return { type: 'objlnk', value: { objectId: Number(m[1]), instanceId: Number(m[2]) } };
    }
    case 'none':
      if (text !== '') throw badPayload(`${where}: an executable resource has no value`, '4.00');
      return { type: 'none', value: null };
  }
}

/**
 * The model type of the single value at `path`; unknown resources read as string (the text is
 * kept as is, with a warning). A multiple resource addressed as a whole cannot be one value.
 */
export function singleValueType(path: LwM2mPath, ctx: CodecContext, format: string, warnings: string[]): ResourceType {
  const level = pathLevel(path);
  const target = formatPath(path);
  if (level !== 'resource' && level !== 'resourceInstance') {
    throw badPayload(`${format} carries one value; ${target} is not a resource`, '4.15');
  }
  const model = ctx.models.resource(path.objectId!, path.resourceId!, ctx.objectVersions?.get(path.objectId!));
  if (model === undefined) {
    warnings.push(`${target}: resource not in the object model`);
    return format === 'opaque' ? 'opaque' : 'string';
  }
  if (level === 'resource' && model.multiple) throw badPayload(`${format} cannot carry the multiple resource ${target}`, '4.15');
  return model.type;
}

/** Builds the one-value node for `path`. */
export function singleValueNode(path: LwM2mPath, value: LwM2mValue): LwM2mNode {
  return path.resourceInstanceId !== undefined
    ? { kind: 'resourceInstance', id: path.resourceInstanceId, value }
    : { kind: 'resource', id: path.resourceId!, value };
}

/** The value of a one-value node written for `path`; anything else is a 4.06. */
export function singleValueOf(node: LwM2mNode, path: LwM2mPath, format: string): LwM2mValue {
  if (node.kind !== 'resource' && node.kind !== 'resourceInstance') {
    throw badPayload(`${format} cannot carry ${withArticle(node.kind)} (several values) for ${formatPath(path)}`, '4.06');
  }
  const level = pathLevel(path);
  const expected = node.kind === 'resource' ? path.resourceId : path.resourceInstanceId;
  if ((node.kind === 'resource' ? level !== 'resource' : level !== 'resourceInstance') || expected !== node.id) {
    throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `${format}: cannot write ${node.kind} ${node.id} for ${formatPath(path)}`);
  }
  return node.value;
}

export function decodeText(payload: Uint8Array, path: LwM2mPath, ctx: CodecContext): TextDecodeResult {
  const limits = limitsOf(ctx);
  if (payload.length > limits.maxValueBytes) throw badPayload(`text/plain value of ${payload.length} bytes exceeds ${limits.maxValueBytes}`, '4.00');
  const warnings: string[] = [];
  const type = singleValueType(path, ctx, 'text/plain', warnings);
  const value = parseTextValue(payload, type, formatPath(path), warnings);
  return { node: singleValueNode(path, value), warnings };
}

export function encodeText(node: LwM2mNode, path: LwM2mPath): Uint8Array {
  return utf8Encoder.encode(formatTextValue(singleValueOf(node, path, 'text/plain')));
}

export const textCodec: ContentCodec = {
  formats: [ContentFormat.TEXT],
  encode: (node, path) => encodeText(node, path),
  decode: (payload, path, ctx) => decodeText(payload, path, ctx).node,
};
