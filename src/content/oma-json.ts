import { badPayload, withArticle } from '../errors.js';
import { limitsOf } from './limits.js';
import { field, isPlainObject, jsonNumber, jsonString, parseJson } from './json-text.js';
import { formatPath, segments } from './path.js';
import { nameToPath } from './senml-records.js';
import { nodeToValues, valuesToNode } from './tree.js';
import { ContentFormat, type CodecContext, type LwM2mPath, type LwM2mValue, type MultiPathCodec, type TimestampedValue } from './types.js';
import { booleanToValue, modelTypeAt, numberToValue, parseObjlnk, stringToValue } from './values.js';

/**
 * OMA LwM2M JSON, Content-Formats 11543 and legacy 1543 (LwM2M 1.0 §6.4.4, 1.1 TS-Core
 * §7.4.5): `{"bn":…, "bt":…, "e":[{"n":…, "v"|"sv"|"bv"|"ov":…, "t":…}]}`. The full name of an
 * entry is bn + n. Times follow the SenML draft that format is built on: bt + t, where zero
 * or a negative result is relative to now. Opaque values travel base64 in "sv".
 */

interface Entry {
  path: LwM2mPath;
  value: LwM2mValue;
  time?: number;
}

function entryValue(e: Record<string, unknown>, path: LwM2mPath, ctx: CodecContext, where: string): LwM2mValue {
  const v = field(e, 'v', 'number', where);
  const sv = field(e, 'sv', 'string', where);
  const bv = field(e, 'bv', 'boolean', where);
  const ov = field(e, 'ov', 'string', where);
  const present = [v, sv, bv, ov].filter((x) => x !== undefined).length;
  if (present !== 1) throw badPayload(`${where}: needs exactly one of v, sv, bv, ov (has ${present})`);
  const type = modelTypeAt(path, ctx);
  if (v !== undefined) return numberToValue(v, type, where);
  if (bv !== undefined) return booleanToValue(bv, type, where);
  if (ov !== undefined) {
    if (type !== undefined && type !== 'objlnk') throw badPayload(`${where}: an object link cannot hold ${withArticle(type)} value`);
    return { type: 'objlnk', value: parseObjlnk(ov, where) };
  }
  return stringToValue(sv!, type, where);
}

function parseEntries(payload: Uint8Array, ctx: CodecContext, basePath?: LwM2mPath): Entry[] {
  const limits = limitsOf(ctx);
  const doc = parseJson(payload, limits, 'OMA JSON');
  if (!isPlainObject(doc)) throw badPayload('OMA JSON: payload is not an object');
  const bn = field(doc, 'bn', 'string', 'OMA JSON') ?? '';
  const bt = field(doc, 'bt', 'number', 'OMA JSON');
  const list = doc['e'];
  if (!Array.isArray(list)) throw badPayload('OMA JSON: "e" must be an array');
  if (list.length > limits.maxEntries) throw badPayload(`OMA JSON: ${list.length} entries exceed the limit`);
  const now = ctx.nowSeconds ?? Date.now() / 1000;
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const where = `OMA JSON entry ${i}`;
    if (!isPlainObject(raw)) throw badPayload(`${where} is not an object`);
    const n = field(raw, 'n', 'string', where) ?? '';
    const name = bn + n;
    const sv = raw['sv'];
    if (typeof sv === 'string' && sv.length > limits.maxValueBytes) throw badPayload(`${where}: string exceeds the limit`);
    let path: LwM2mPath;
    if (name === '') {
      // No name at all: the value is the request target itself.
      if (basePath === undefined) throw badPayload(`${where} has no name`);
      path = basePath;
    } else path = nameToPath(name, basePath);
    if (path.resourceId === undefined) throw badPayload(`${where}: ${formatPath(path)} does not name a resource`);
    const out: Entry = { path, value: entryValue(raw, path, ctx, where) };
    const t = field(raw, 't', 'number', where);
    if (bt !== undefined || t !== undefined) {
      const resolved = (bt ?? 0) + (t ?? 0);
      out.time = resolved <= 0 ? now + resolved : resolved;
    }
    const key = `${formatPath(path)}@${out.time ?? ''}`;
    if (seen.has(key)) throw badPayload(`OMA JSON holds ${formatPath(path)} twice for the same time`);
    seen.add(key);
    return out;
  });
}

function valueJson(value: LwM2mValue): string {
  switch (value.type) {
    case 'string':
    case 'corelnk':
      return `"sv":${jsonString(value.value)}`;
    case 'opaque':
      return `"sv":"${Buffer.from(value.value).toString('base64')}"`;
    case 'integer':
    case 'unsigned':
    case 'time':
      return `"v":${jsonNumber(value.value, false)}`;
    case 'float':
      return `"v":${jsonNumber(value.value, true)}`;
    case 'boolean':
      return `"bv":${value.value}`;
    case 'objlnk':
      return `"ov":"${value.value.objectId}:${value.value.instanceId}"`;
    case 'none':
      return '';
  }
}

/**
 * Writes `bn` as the longest common prefix that still leaves every entry a non-empty `n`:
 * Wakaama refuses `{"bn":"/31024/10/1","e":[{"v":80}]}` but takes
 * `{"bn":"/31024/10/","e":[{"n":"1","v":80}]}`, and Leshan takes both
 * (fixtures/captures/README.md).
 */
function encodeEntries(values: readonly TimestampedValue[]): Uint8Array {
  const segs = values.map((v) => segments(v.path));
  const minLen = segs.length === 0 ? 0 : Math.min(...segs.map((s) => s.length));
  const first = segs[0] ?? [];
  let base = 0;
  while (base < minLen - 1 && segs.every((s) => s[base] === first[base])) base++;
  const bn = base === 0 ? '/' : `/${first.slice(0, base).join('/')}/`;
  const allTimed = values.length > 0 && values.every((v) => v.time !== undefined);
  const bt = allTimed ? values[0]!.time! : undefined;
  const entries = values.map((v, i) => {
    const parts = [`"n":${jsonString(segs[i]!.slice(base).join('/'))}`];
    const val = valueJson(v.value);
    if (val !== '') parts.push(val);
    if (v.time !== undefined) {
      const t = bt !== undefined ? v.time - bt : v.time;
      if (t !== 0 || bt === undefined) parts.push(`"t":${jsonNumber(t, false)}`);
    }
    return `{${parts.join(',')}}`;
  });
  const head = `"bn":${jsonString(bn)}${bt !== undefined ? `,"bt":${jsonNumber(bt, false)}` : ''}`;
  return Buffer.from(`{${head},"e":[${entries.join(',')}]}`, 'utf8');
}

export const omaJsonCodec: MultiPathCodec = {
  formats: [ContentFormat.JSON, ContentFormat.JSON_LEGACY],

  encode(node, path, ctx) {
    return this.encodeValues(nodeToValues(node, path), ctx);
  },

  decode(payload, path, ctx) {
    return valuesToNode(this.decodeValues(payload, ctx, path), path, ctx);
  },

  encodeValues(values) {
    return encodeEntries(values);
  },

  decodeValues(payload, ctx, basePath?: LwM2mPath) {
    return parseEntries(payload, ctx, basePath).map((e) => {
      const out: TimestampedValue = { path: e.path, value: e.value };
      if (e.time !== undefined) out.time = e.time;
      return out;
    });
  },
};
