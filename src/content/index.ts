import { badPayload, isLwm2mError, Lwm2mError } from '../errors.js';
import { cborCodec } from './cbor.js';
import { limitsOf } from './limits.js';
import { lwm2mCborCodec } from './lwm2m-cbor.js';
import { omaJsonCodec } from './oma-json.js';
import { opaqueCodec } from './opaque.js';
import { isPrefixOf, pathFromIds, pathsEqual, segments } from './path.js';
import { senmlCborCodec } from './senml-cbor.js';
import { senmlJsonCodec } from './senml-json.js';
import { decodeText, textCodec } from './text.js';
import { decodeTlv, tlvCodec } from './tlv.js';
import { nodeToValues, valuesToNode } from './tree.js';
import type {
  CodecContext,
  CompositeCodec,
  ContentCodec,
  LwM2mNode,
  LwM2mPath,
  MultiPathCodec,
  TimestampedValue,
} from './types.js';

/**
 * The one entry point for payloads: picks the codec for a Content-Format number and adapts
 * between the two shapes codecs work in (a node at the request path; flat timestamped values).
 * An unknown format is 4.15. Decoding never lets a non-Lwm2mError escape: a codec bug on
 * hostile input becomes a 4.00 with the original error as cause, so a datagram cannot crash
 * the server.
 */
const CODECS: ReadonlyMap<number, ContentCodec> = new Map(
  [textCodec, opaqueCodec, cborCodec, senmlJsonCodec, senmlCborCodec, tlvCodec, omaJsonCodec, lwm2mCborCodec].flatMap((c) =>
    c.formats.map((f) => [f, c] as const),
  ),
);

const NAMES: Readonly<Record<number, string>> = {
  0: 'text/plain',
  40: 'application/link-format',
  42: 'application/octet-stream',
  60: 'application/cbor',
  110: 'application/senml+json',
  112: 'application/senml+cbor',
  1542: 'application/vnd.oma.lwm2m+tlv (legacy 1542)',
  1543: 'application/vnd.oma.lwm2m+json (legacy 1543)',
  11542: 'application/vnd.oma.lwm2m+tlv',
  11543: 'application/vnd.oma.lwm2m+json',
  11544: 'application/vnd.oma.lwm2m+cbor',
};

/** A readable name for logs and error messages, e.g. "application/vnd.oma.lwm2m+tlv (11542)". */
export function formatName(format: number): string {
  return `${NAMES[format] ?? 'unknown'} (${format})`;
}

/** True for the formats that carry LwM2M values (link-format is parsed separately). */
export function isSupportedFormat(format: number): boolean {
  return CODECS.has(format);
}

export function codecFor(format: number): ContentCodec {
  const codec = CODECS.get(format);
  if (codec === undefined) throw badPayload(`unsupported Content-Format ${formatName(format)}`, '4.15');
  return codec;
}

function isMultiPath(c: ContentCodec): c is MultiPathCodec {
  return 'decodeValues' in c && 'encodeValues' in c;
}

function isComposite(c: ContentCodec): c is CompositeCodec {
  return isMultiPath(c) && 'decodePaths' in c && 'encodePaths' in c;
}

function guarded<T>(format: number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isLwm2mError(e)) throw e;
    throw badPayload(`${formatName(format)}: payload could not be decoded`, '4.00', e);
  }
}

function checkSize(payload: Uint8Array, ctx: CodecContext): void {
  const max = limitsOf(ctx).maxPayloadBytes;
  if (payload.length > max) throw badPayload(`payload of ${payload.length} bytes exceeds ${max}`, '4.00');
}

export function encode(format: number, node: LwM2mNode, path: LwM2mPath, ctx: CodecContext): Uint8Array {
  return codecFor(format).encode(node, path, ctx);
}

export function decode(format: number, payload: Uint8Array, path: LwM2mPath, ctx: CodecContext): LwM2mNode {
  const codec = codecFor(format);
  checkSize(payload, ctx);
  return guarded(format, () => codec.decode(payload, path, ctx));
}

/** The node plus what the decoder tolerated (TLV and text report unknown resources, broken UTF-8). */
export function decodeWithWarnings(format: number, payload: Uint8Array, path: LwM2mPath, ctx: CodecContext): { node: LwM2mNode; warnings: string[] } {
  const codec = codecFor(format);
  checkSize(payload, ctx);
  if (codec === tlvCodec) return guarded(format, () => decodeTlv(payload, path, ctx));
  if (codec === textCodec) return guarded(format, () => decodeText(payload, path, ctx));
  return { node: guarded(format, () => codec.decode(payload, path, ctx)), warnings: [] };
}

/**
 * Flat values for any format: multi-path codecs decode them directly (names relative to `path`
 * where the format says so); the others decode the node at `path` and flatten it.
 */
export function decodeValues(format: number, payload: Uint8Array, path: LwM2mPath, ctx: CodecContext): TimestampedValue[] {
  const codec = codecFor(format);
  checkSize(payload, ctx);
  return guarded(format, () => (isMultiPath(codec) ? codec.decodeValues(payload, ctx, path) : nodeToValues(codec.decode(payload, path, ctx), path)));
}

/**
 * The values of the node a payload holds at `path`, flattened: the same as
 * `nodeToValues(decode(format, payload, path, ctx), path)` (timestamps and duplicates resolved as
 * the node does), for Read responses and notifications. Multi-path formats decode to values
 * first; when they hold exactly the value at `path` itself, as most notifications of a
 * resource do, that value is the answer and the node is not built.
 */
export function decodeFlat(format: number, payload: Uint8Array, path: LwM2mPath, ctx: CodecContext): TimestampedValue[] {
  const codec = codecFor(format);
  checkSize(payload, ctx);
  const node = guarded(format, (): LwM2mNode | TimestampedValue => {
    if (!isMultiPath(codec)) return codec.decode(payload, path, ctx);
    // Every multi-path codec's decode is valuesToNode(decodeValues(...)): the same steps.
    const values = codec.decodeValues(payload, ctx, path);
    const only = values.length === 1 ? values[0]! : undefined;
    if (only && path.resourceId !== undefined && pathsEqual(only.path, path)) return { path: Object.assign({}, only.path), value: only.value };
    return valuesToNode(values, path, ctx);
  });
  if (!('kind' in node)) return [node];
  // A single value (text, opaque, TLV of one resource): its path without nodePath's arrays.
  if (node.kind === 'resource' && path.objectId !== undefined && path.instanceId !== undefined) {
    return [{ path: { objectId: path.objectId, instanceId: path.instanceId, resourceId: node.id }, value: node.value }];
  }
  return nodeToValues(node, path);
}

/** The deepest path that holds every value (the root when they share no object). */
export function commonPath(values: readonly TimestampedValue[]): LwM2mPath {
  if (values.length === 0) return {};
  let ids = segments(values[0]!.path);
  for (const v of values) {
    const other = segments(v.path);
    let n = 0;
    while (n < ids.length && n < other.length && ids[n] === other[n]) n++;
    ids = ids.slice(0, n);
  }
  return pathFromIds(ids);
}

/**
 * Encodes flat values. Multi-path codecs write them as they are (timestamps included); the
 * others build the node at `path` (default: the deepest path common to all values), which
 * drops timestamps and keeps the newest value per path.
 */
export function encodeValues(format: number, values: TimestampedValue[], ctx: CodecContext, path?: LwM2mPath): Uint8Array {
  const codec = codecFor(format);
  if (isMultiPath(codec)) return codec.encodeValues(values, ctx);
  const at = path ?? commonPath(values);
  for (const v of values) {
    if (!isPrefixOf(at, v.path)) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', 'a value lies outside the target path');
  }
  return codec.encode(valuesToNode(values, at, ctx), at, ctx);
}

/** A Read-Composite / Observe-Composite path list; only SenML JSON/CBOR and LwM2M CBOR have one (4.06). */
export function encodePaths(format: number, paths: LwM2mPath[], ctx: CodecContext): Uint8Array {
  const codec = codecFor(format);
  if (!isComposite(codec)) throw badPayload(`${formatName(format)} cannot carry a list of paths`, '4.06');
  return codec.encodePaths(paths, ctx);
}

export function decodePaths(format: number, payload: Uint8Array, ctx: CodecContext): LwM2mPath[] {
  const codec = codecFor(format);
  if (!isComposite(codec)) throw badPayload(`${formatName(format)} cannot carry a list of paths`, '4.15');
  checkSize(payload, ctx);
  return guarded(format, () => codec.decodePaths(payload, ctx));
}

export { chooseFormat, COMPOSITE_FORMATS, IMPLEMENTED_FORMATS, type FormatChoiceInput } from './format-choice.js';
export { decodeLinkFormat, formatLinkFormat, parseLinkFormat, type Link } from './link-format.js';
export { ContentFormat } from './types.js';
