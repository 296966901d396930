import { badPayload } from '../errors.js';
import { decodeCbor, isBytes, ownBytes } from './cbor-wire.js';
import { CborWriter } from './cbor-writer.js';
import { limitsOf } from './limits.js';
import { readPlainSenmlCbor } from './senml-cbor-plain.js';
import { senmlCodec } from './senml-codec.js';
import type { SenmlRecord } from './senml-records.js';
import { ContentFormat, type CodecContext, type CompositeCodec, type DecodeLimits } from './types.js';
import { decodeBase64 } from './values.js';

/**
 * SenML CBOR, Content-Format 112 (RFC 8428 §6; LwM2M 1.1 TS-Core §7.4.7). Labels are the
 * RFC 8428 §6 integers (bn -2, bt -3, n 0, v 2, vs 3, vb 4, t 6, vd 8); the LwM2M object
 * link value uses the text label "vlo". Floats are written in the shortest exact precision
 * and integers as CBOR integers, as Wakaama does; no tags are allowed.
 */
const LABEL = { bver: -1, bn: -2, bt: -3, bu: -4, bv: -5, bs: -6, n: 0, u: 1, v: 2, vs: 3, vb: 4, s: 5, t: 6, ut: 7, vd: 8 } as const;
const VLO = 'vlo';

function asNumber(v: unknown, key: string, where: string): number | bigint {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) && key !== 'v') throw badPayload(`${where}: ${key} is not finite`);
    return v;
  }
  if (typeof v === 'bigint') return v;
  throw badPayload(`${where}: ${key} must be a number`);
}

function asString(v: unknown, key: string, where: string): string {
  if (typeof v !== 'string') throw badPayload(`${where}: ${key} must be a text string`);
  return v;
}

function asTime(v: unknown, key: string, where: string): number {
  const n = asNumber(v, key, where);
  return Number(n);
}

function toRecord(raw: unknown, i: number): SenmlRecord {
  const where = `SenML CBOR record ${i}`;
  if (!(raw instanceof Map)) throw badPayload(`${where} is not a map`);
  const rec: SenmlRecord = {};
  let bv: number | bigint | undefined;
  for (const [key, value] of raw as Map<unknown, unknown>) {
    if (typeof key === 'string') {
      if (key === VLO) rec.vlo = asString(value, 'vlo', where);
      // RFC 8428 §4.4: a label ending in "_" must be understood.
      else if (key.endsWith('_')) throw badPayload(`${where}: unsupported must-understand label "${key.slice(0, 20)}"`);
      continue;
    }
    if (typeof key !== 'number' || !Number.isInteger(key)) throw badPayload(`${where}: label is neither an integer nor text`);
    switch (key) {
      case LABEL.bn:
        rec.bn = asString(value, 'bn', where);
        break;
      case LABEL.n:
        rec.n = asString(value, 'n', where);
        break;
      case LABEL.bt:
        rec.bt = asTime(value, 'bt', where);
        break;
      case LABEL.t:
        rec.t = asTime(value, 't', where);
        break;
      case LABEL.v:
        rec.v = asNumber(value, 'v', where);
        break;
      case LABEL.bv:
        bv = asNumber(value, 'bv', where);
        break;
      case LABEL.vs:
        rec.vs = asString(value, 'vs', where);
        break;
      case LABEL.vb:
        if (typeof value !== 'boolean') throw badPayload(`${where}: vb must be a boolean`);
        rec.vb = value;
        break;
      case LABEL.vd:
        // RFC 8428 §6: a byte string; base64 text is accepted from lenient peers.
        if (isBytes(value)) rec.vd = ownBytes(value);
        else rec.vd = decodeBase64(asString(value, 'vd', where), where);
        break;
      default:
        // Labels LwM2M does not use (units, sums, version) and unregistered ones are ignored.
        break;
    }
  }
  if (bv !== undefined && rec.v !== undefined) rec.v = Number(rec.v) + Number(bv);
  return rec;
}

function parseRecords(payload: Uint8Array, ctx: CodecContext): SenmlRecord[] {
  const limits = limitsOf(ctx);
  return readPlainSenmlCbor(payload, limits) ?? readSenmlCbor(payload, limits);
}

/** Any SenML CBOR pack, through the scanner and cbor-x (senml-cbor-plain.ts reads the common ones faster). */
export function readSenmlCbor(payload: Uint8Array, limits: DecodeLimits): SenmlRecord[] {
  const doc = decodeCbor(payload, limits, { allowIndefinite: true });
  if (!Array.isArray(doc)) throw badPayload('SenML CBOR: payload is not an array of records');
  return doc.map((r, i) => toRecord(r, i));
}

function writeRecord(w: CborWriter, r: SenmlRecord, isFloat: boolean): void {
  const fields: [number | string, (w: CborWriter) => void][] = [];
  if (r.bn !== undefined) fields.push([LABEL.bn, (x) => x.text(r.bn!)]);
  if (r.bt !== undefined) fields.push([LABEL.bt, (x) => writeNumber(x, r.bt!, false)]);
  if (r.n !== undefined) fields.push([LABEL.n, (x) => x.text(r.n!)]);
  if (r.t !== undefined) fields.push([LABEL.t, (x) => writeNumber(x, r.t!, false)]);
  if (r.v !== undefined) fields.push([LABEL.v, (x) => writeNumber(x, r.v!, isFloat)]);
  if (r.vs !== undefined) fields.push([LABEL.vs, (x) => x.text(r.vs!)]);
  if (r.vb !== undefined) fields.push([LABEL.vb, (x) => x.bool(r.vb!)]);
  if (r.vd !== undefined) fields.push([LABEL.vd, (x) => x.bytes(r.vd!)]);
  if (r.vlo !== undefined) fields.push([VLO, (x) => x.text(r.vlo!)]);
  w.map(fields.length);
  for (const [label, write] of fields) {
    if (typeof label === 'string') w.text(label);
    else w.int(label);
    write(w);
  }
}

/** Integers as CBOR integers; floats (and non-integral numbers) as the shortest exact float. */
export function writeNumber(w: CborWriter, n: number | bigint, isFloat: boolean): void {
  if (typeof n === 'bigint') w.int(n);
  else if (!isFloat && Number.isSafeInteger(n)) w.int(n);
  else w.float(n);
}

function pack(records: readonly SenmlRecord[], floats: readonly boolean[]): Uint8Array {
  const w = new CborWriter();
  w.array(records.length);
  records.forEach((r, i) => writeRecord(w, r, floats[i] ?? false));
  return w.toBytes();
}

export const senmlCborCodec: CompositeCodec = senmlCodec(ContentFormat.SENML_CBOR, pack, parseRecords);
