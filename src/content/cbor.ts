import { badPayload, withArticle } from '../errors.js';
import { decodeCbor } from './cbor-wire.js';
import { readCborValue, VALUE_TAGS, writeCborValue } from './cbor-values.js';
import { CborWriter } from './cbor-writer.js';
import { limitsOf } from './limits.js';
import { formatPath } from './path.js';
import { ContentFormat, type ContentCodec } from './types.js';
import { modelTypeAt } from './values.js';

/**
 * application/cbor, Content-Format 60 (LwM2M 1.1 TS-Core §7.4.4): one plain CBOR data item
 * holding the value of a single resource or resource instance. Anything with several values
 * (object, instance, multiple resource) cannot be expressed: encoding answers 4.06 and a
 * request path above resource level is refused the same way.
 */
export const cborCodec: ContentCodec = {
  formats: [ContentFormat.CBOR],

  encode(node, path) {
    if (node.kind !== 'resource' && node.kind !== 'resourceInstance') {
      throw badPayload(`CBOR (60) carries a single value, not ${withArticle(node.kind)} (${formatPath(path)})`, '4.06');
    }
    const w = new CborWriter();
    writeCborValue(w, node.value);
    return w.toBytes();
  },

  decode(payload, path, ctx) {
    if (path.resourceId === undefined) {
      throw badPayload(`CBOR (60) carries a single value; ${formatPath(path)} is not a resource`, '4.06');
    }
    const item = decodeCbor(payload, limitsOf(ctx), { allowedTags: VALUE_TAGS, allowIndefinite: true, allowNull: true });
    const value = readCborValue(item, modelTypeAt(path, ctx), `CBOR ${formatPath(path)}`);
    return path.resourceInstanceId !== undefined
      ? { kind: 'resourceInstance', id: path.resourceInstanceId, value }
      : { kind: 'resource', id: path.resourceId, value };
  },
};
