import { badPayload } from '../errors.js';
import { decodeCbor } from './cbor-wire.js';
import { readCborValue, VALUE_TAGS, writeCborValue } from './cbor-values.js';
import { CborWriter } from './cbor-writer.js';
import { limitsOf } from './limits.js';
import { formatPath, MAX_ID, pathFromIds, segments } from './path.js';
import { nodeToValues, valuesToNode } from './tree.js';
import { ContentFormat, type CodecContext, type CompositeCodec, type LwM2mPath, type LwM2mValue, type TimestampedValue } from './types.js';
import { modelTypeAt } from './values.js';

/**
 * LwM2M CBOR, Content-Format 11544 (LwM2M 1.2 TS-Core §7.4.6). The payload is one CBOR map
 * whose keys are path ids: a key is either one id (unsigned integer) or an array of ids, and
 * its value is either a nested map that continues the path or the leaf value of the
 * resource / resource instance the ids so far name. Paths are absolute (they start with the
 * object id) and at most four ids deep: `{3: {0: {0: "x"}}}`, `{[3, 0, 0]: "x"}` and
 * `{[3, 0]: {0: "x"}}` are the same payload. Indefinite-length items are allowed. The format
 * carries no timestamps. A Read-Composite path list is the same shape with null leaves
 * (`{[3, 0, 0]: null, [1]: null}`; the root path is the empty array).
 */

const MAX_LEVELS = 4;

function keyIds(key: unknown, where: string): number[] {
  const ids = Array.isArray(key) ? (key as unknown[]) : [key];
  if (ids.length === 0) throw badPayload(`${where}: empty path array as a map key`);
  return ids.map((id) => {
    const n = typeof id === 'bigint' ? Number(id) : id;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_ID) {
      throw badPayload(`${where}: map key is not a path id (0..${MAX_ID}) or an array of them`);
    }
    return n;
  });
}

/** Walks the nested maps, calling `leaf` with the ids and item of every non-map value. */
function walk(map: unknown, prefix: number[], leaf: (ids: number[], item: unknown) => void): void {
  if (!(map instanceof Map)) throw badPayload('LwM2M CBOR: payload is not a map');
  for (const [key, value] of map as Map<unknown, unknown>) {
    const where = `LwM2M CBOR at /${prefix.join('/')}`;
    const ids = [...prefix, ...keyIds(key, where)];
    if (ids.length > MAX_LEVELS) throw badPayload(`${where}: path deeper than ${MAX_LEVELS} ids`);
    if (value instanceof Map) {
      if (ids.length === MAX_LEVELS) throw badPayload(`${where}: nested map below a resource instance`);
      walk(value, ids, leaf);
    } else leaf(ids, value);
  }
}

function parse(payload: Uint8Array, ctx: CodecContext): unknown {
  return decodeCbor(payload, limitsOf(ctx), { allowIndefinite: true, allowNull: true, allowedTags: VALUE_TAGS });
}

function decodeValuesOf(payload: Uint8Array, ctx: CodecContext): TimestampedValue[] {
  const limits = limitsOf(ctx);
  const out: TimestampedValue[] = [];
  const seen = new Set<string>();
  walk(parse(payload, ctx), [], (ids, item) => {
    const path = pathFromIds(ids);
    const key = formatPath(path);
    if (ids.length < 3) throw badPayload(`LwM2M CBOR: value at ${key}, which is not a resource`);
    if (seen.has(key)) throw badPayload(`LwM2M CBOR: ${key} appears twice`);
    seen.add(key);
    if (out.length >= limits.maxEntries) throw badPayload('LwM2M CBOR: too many values');
    out.push({ path, value: readCborValue(item, modelTypeAt(path, ctx), `LwM2M CBOR ${key}`) });
  });
  return out;
}

interface Trie {
  children: Map<number, Trie>;
  value?: LwM2mValue;
}

function writeTrie(w: CborWriter, t: Trie): void {
  const entries = [...t.children.entries()].sort((a, b) => a[0] - b[0]);
  w.map(entries.length);
  for (const [id, child] of entries) {
    w.int(id);
    if (child.value !== undefined) writeCborValue(w, child.value);
    else writeTrie(w, child);
  }
}

function encodeValuesOf(values: readonly TimestampedValue[]): Uint8Array {
  const root: Trie = { children: new Map() };
  for (const v of values) {
    if (v.time !== undefined) throw badPayload('LwM2M CBOR cannot carry timestamps', '4.06');
    const ids = segments(v.path);
    if (ids.length < 3) throw badPayload(`LwM2M CBOR: ${formatPath(v.path)} is not a resource`, '4.06');
    let node = root;
    for (const id of ids) {
      if (node.value !== undefined) throw badPayload(`LwM2M CBOR: ${formatPath(v.path)} lies below a value`, '4.06');
      let next = node.children.get(id);
      if (!next) node.children.set(id, (next = { children: new Map() }));
      node = next;
    }
    if (node.value !== undefined || node.children.size > 0) throw badPayload(`LwM2M CBOR: ${formatPath(v.path)} given twice`, '4.06');
    node.value = v.value;
  }
  const w = new CborWriter();
  writeTrie(w, root);
  return w.toBytes();
}

export const lwm2mCborCodec: CompositeCodec = {
  formats: [ContentFormat.LWM2M_CBOR],

  encode(node, path, ctx) {
    return this.encodeValues(nodeToValues(node, path), ctx);
  },

  decode(payload, path, ctx) {
    return valuesToNode(this.decodeValues(payload, ctx, path), path, ctx);
  },

  encodeValues(values) {
    return encodeValuesOf(values);
  },

  decodeValues(payload, ctx) {
    return decodeValuesOf(payload, ctx);
  },

  encodePaths(paths) {
    const w = new CborWriter();
    w.map(paths.length);
    for (const p of paths) {
      const ids = segments(p);
      w.array(ids.length);
      for (const id of ids) w.int(id);
      w.null();
    }
    return w.toBytes();
  },

  decodePaths(payload, ctx) {
    const doc = parse(payload, ctx);
    const out: LwM2mPath[] = [];
    const seen = new Set<string>();
    if (!(doc instanceof Map)) throw badPayload('LwM2M CBOR: payload is not a map');
    for (const [key, value] of doc as Map<unknown, unknown>) {
      // The root path is an empty array key.
      const ids = Array.isArray(key) && key.length === 0 ? [] : keyIds(key, 'LwM2M CBOR path list');
      if (ids.length > MAX_LEVELS) throw badPayload('LwM2M CBOR path list: path deeper than 4 ids');
      if (value !== null) throw badPayload('LwM2M CBOR path list: entries must be null');
      const path = pathFromIds(ids);
      const k = formatPath(path);
      if (seen.has(k)) throw badPayload(`LwM2M CBOR path list: ${k} listed twice`);
      seen.add(k);
      out.push(path);
    }
    return out;
  },
};
