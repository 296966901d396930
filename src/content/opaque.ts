import { badPayload, withArticle } from '../errors.js';
import { limitsOf } from './limits.js';
import { formatPath } from './path.js';
import { singleValueNode, singleValueOf, singleValueType } from './text.js';
import { ContentFormat, type CodecContext, type ContentCodec, type LwM2mNode, type LwM2mPath } from './types.js';

/**
 * application/octet-stream (Content-Format 42, LwM2M 1.1 §7.4.2): the raw bytes of one opaque
 * resource or resource instance. Encoding a node with several values, or a non-opaque value, is
 * 4.06; decoding for a path that is not an opaque resource is 4.15. A resource the model does
 * not know is taken as opaque.
 */
export function decodeOpaque(payload: Uint8Array, path: LwM2mPath, ctx: CodecContext): LwM2mNode {
  const limits = limitsOf(ctx);
  if (payload.length > limits.maxValueBytes) throw badPayload(`opaque value of ${payload.length} bytes exceeds ${limits.maxValueBytes}`, '4.00');
  const type = singleValueType(path, ctx, 'opaque', []);
  if (type !== 'opaque') throw badPayload(`${formatPath(path)} is ${withArticle(type)} resource, not opaque`, '4.15');
  return singleValueNode(path, { type: 'opaque', value: new Uint8Array(payload) });
}

export function encodeOpaque(node: LwM2mNode, path: LwM2mPath): Uint8Array {
  const value = singleValueOf(node, path, 'application/octet-stream');
  if (value.type !== 'opaque') throw badPayload(`application/octet-stream carries opaque values only, ${formatPath(path)} is ${value.type}`, '4.06');
  return value.value;
}

export const opaqueCodec: ContentCodec = {
  formats: [ContentFormat.OPAQUE],
  encode: (node, path) => encodeOpaque(node, path),
  decode: (payload, path, ctx) => decodeOpaque(payload, path, ctx),
};
