import { pathsToRecords, recordsToPaths, recordsToValues, valuesToRecords, type SenmlRecord } from './senml-records.js';
import { nodePath, nodeToValues, valuesToNode } from './tree.js';
import type { CodecContext, CompositeCodec, LwM2mPath } from './types.js';

/**
 * SenML JSON and SenML CBOR (LwM2M 1.1 §7.4.6, §7.4.7) differ only in how records are written
 * and read; everything between records and LwM2M values is shared (senml-records.ts).
 * `pack` gets, per record, whether its value is a float (so an integral float stays a float).
 */
export function senmlCodec(
  format: number,
  pack: (records: readonly SenmlRecord[], floats: readonly boolean[]) => Uint8Array,
  parseRecords: (payload: Uint8Array, ctx: CodecContext) => SenmlRecord[],
): CompositeCodec {
  const codec: CompositeCodec = {
    formats: [format],
    encode(node, path) {
      const leaf = node.kind === 'resource' || node.kind === 'resourceInstance';
      const values = nodeToValues(node, path);
      return pack(valuesToRecords(values, leaf ? undefined : nodePath(node, path)), values.map((v) => v.value.type === 'float'));
    },
    decode(payload, path, ctx) {
      return valuesToNode(codec.decodeValues(payload, ctx, path), path, ctx);
    },
    encodeValues(values) {
      return pack(valuesToRecords(values), values.map((v) => v.value.type === 'float'));
    },
    decodeValues(payload, ctx, basePath?: LwM2mPath) {
      return recordsToValues(parseRecords(payload, ctx), ctx, basePath);
    },
    encodePaths(paths) {
      return pack(pathsToRecords(paths), []);
    },
    decodePaths(payload, ctx) {
      return recordsToPaths(parseRecords(payload, ctx), ctx);
    },
  };
  return codec;
}
