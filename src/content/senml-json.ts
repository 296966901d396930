import { badPayload } from '../errors.js';
import { limitsOf } from './limits.js';
import { field, isPlainObject, jsonNumber, jsonString, parseJson } from './json-text.js';
import { senmlCodec } from './senml-codec.js';
import type { SenmlRecord } from './senml-records.js';
import { ContentFormat, type CodecContext, type CompositeCodec, type DecodeLimits } from './types.js';
import { decodeBase64, encodeBase64Url } from './values.js';

/**
 * SenML JSON, Content-Format 110 (RFC 8428 §5; LwM2M 1.1 TS-Core §7.4.6). Opaque values are
 * written as base64url without padding (RFC 8428 §5) and read in either base64 alphabet,
 * with or without padding, since Wakaama writes standard base64.
 */

function toRecord(raw: unknown, i: number, limits: DecodeLimits): SenmlRecord {
  const where = `SenML JSON record ${i}`;
  if (!isPlainObject(raw)) throw badPayload(`${where} is not an object`);
  // RFC 8428 §4.4: a label ending in "_" must be understood; other unknown labels (and the
  // unit/sum/version fields LwM2M does not use) are ignored.
  for (const key of Object.keys(raw)) {
    if (key.endsWith('_')) throw badPayload(`${where}: unsupported must-understand field "${key.slice(0, 20)}"`);
  }
  const rec: SenmlRecord = {};
  const bn = field(raw, 'bn', 'string', where);
  const n = field(raw, 'n', 'string', where);
  const bt = field(raw, 'bt', 'number', where);
  const t = field(raw, 't', 'number', where);
  const v = field(raw, 'v', 'number', where);
  const bv = field(raw, 'bv', 'number', where);
  const vs = field(raw, 'vs', 'string', where);
  const vb = field(raw, 'vb', 'boolean', where);
  const vd = field(raw, 'vd', 'string', where);
  const vlo = field(raw, 'vlo', 'string', where);
  for (const s of [vs, vd, vlo, bn, n]) {
    if (s !== undefined && s.length > limits.maxValueBytes) throw badPayload(`${where}: string exceeds the limit`);
  }
  if (bn !== undefined) rec.bn = bn;
  if (n !== undefined) rec.n = n;
  if (bt !== undefined) rec.bt = bt;
  if (t !== undefined) rec.t = t;
  // RFC 8428 §4.1: a base value is added to the value.
  if (v !== undefined) rec.v = bv !== undefined ? v + bv : v;
  if (vs !== undefined) rec.vs = vs;
  if (vb !== undefined) rec.vb = vb;
  if (vd !== undefined) rec.vd = decodeBase64(vd, where);
  if (vlo !== undefined) rec.vlo = vlo;
  return rec;
}

function parseRecords(payload: Uint8Array, ctx: CodecContext): SenmlRecord[] {
  const limits = limitsOf(ctx);
  const doc = parseJson(payload, limits, 'SenML JSON');
  if (!Array.isArray(doc)) throw badPayload('SenML JSON: payload is not an array of records');
  if (doc.length > limits.maxEntries) throw badPayload(`SenML JSON: ${doc.length} records exceed the limit`);
  return doc.map((r, i) => toRecord(r, i, limits));
}

function recordJson(r: SenmlRecord, isFloat: boolean): string {
  const parts: string[] = [];
  if (r.bn !== undefined) parts.push(`"bn":${jsonString(r.bn)}`);
  if (r.bt !== undefined) parts.push(`"bt":${jsonNumber(r.bt, false)}`);
  if (r.n !== undefined) parts.push(`"n":${jsonString(r.n)}`);
  if (r.t !== undefined) parts.push(`"t":${jsonNumber(r.t, false)}`);
  if (r.v !== undefined) parts.push(`"v":${jsonNumber(r.v, isFloat)}`);
  if (r.vs !== undefined) parts.push(`"vs":${jsonString(r.vs)}`);
  if (r.vb !== undefined) parts.push(`"vb":${r.vb}`);
  if (r.vd !== undefined) parts.push(`"vd":"${encodeBase64Url(r.vd)}"`);
  if (r.vlo !== undefined) parts.push(`"vlo":${jsonString(r.vlo)}`);
  return `{${parts.join(',')}}`;
}

function pack(records: readonly SenmlRecord[], floats: readonly boolean[]): Uint8Array {
  return Buffer.from(`[${records.map((r, i) => recordJson(r, floats[i] ?? false)).join(',')}]`, 'utf8');
}

export const senmlJsonCodec: CompositeCodec = senmlCodec(ContentFormat.SENML_JSON, pack, parseRecords);
