/**
 * DTLS record framing (RFC 6347 §4.1) and the RFC 9146 §4 tls12_cid record, whose header
 * carries a connection ID between the sequence number and the length. Several records may
 * share one datagram (RFC 6347 §4.1.1); a malformed record ends parsing of its datagram, and
 * the records before it stay valid (§4.1.2.7: invalid records are silently discarded).
 */
import { ContentType, RECORD_HEADER_LENGTH } from './constants.js';

export interface DtlsRecord {
  type: number;
  version: number;
  epoch: number;
  /** 48-bit sequence number; safe as a JS number (< 2^53). */
  seq: number;
  /** Present on tls12_cid records only. */
  cid?: Buffer;
  fragment: Buffer;
}

export const MAX_SEQ = 2 ** 48 - 1;

/**
 * Splits a datagram into records. `cidLength` is the length of the connection IDs this
 * endpoint hands out: RFC 9146 §4 leaves the CID length implicit, known only to its issuer.
 */
export function parseRecords(datagram: Buffer, cidLength: number): DtlsRecord[] {
  const out: DtlsRecord[] = [];
  let pos = 0;
  while (datagram.length - pos >= RECORD_HEADER_LENGTH) {
    const type = datagram[pos]!;
    const version = datagram.readUInt16BE(pos + 1);
    // DTLS versions all have major 254 (RFC 6347 §4.1); anything else is not ours.
    if (version >> 8 !== 0xfe) break;
    const epoch = datagram.readUInt16BE(pos + 3);
    const seq = datagram.readUIntBE(pos + 5, 6);
    let hdr = RECORD_HEADER_LENGTH;
    let cid: Buffer | undefined;
    if (type === ContentType.tls12Cid) {
      if (cidLength === 0 || datagram.length - pos < hdr + cidLength) break;
      cid = Buffer.from(datagram.subarray(pos + 11, pos + 11 + cidLength));
      hdr += cidLength;
    }
    const length = datagram.readUInt16BE(pos + hdr - 2);
    if (pos + hdr + length > datagram.length) break;
    const rec: DtlsRecord = { type, version, epoch, seq, fragment: datagram.subarray(pos + hdr, pos + hdr + length) };
    if (cid) rec.cid = cid;
    out.push(rec);
    pos += hdr + length;
  }
  return out;
}

/**
 * Writes a record header (RFC 6347 §4.1; with `cid`, RFC 9146 §4 and type 25) at the start of
 * `out` for a fragment of `fragmentLength` bytes; returns the header length.
 */
export function writeRecordHeader(out: Buffer, type: number, version: number, epoch: number, seq: number, fragmentLength: number, cid?: Buffer): number {
  const cidLen = cid?.length ?? 0;
  out[0] = type;
  out.writeUInt16BE(version, 1);
  out.writeUInt16BE(epoch, 3);
  out.writeUIntBE(seq, 5, 6);
  if (cid) cid.copy(out, 11);
  out.writeUInt16BE(fragmentLength, 11 + cidLen);
  return RECORD_HEADER_LENGTH + cidLen;
}

/** Serialises a record header + fragment; with `cid`, the RFC 9146 §4 layout and type 25. */
export function encodeRecord(type: number, version: number, epoch: number, seq: number, fragment: Buffer, cid?: Buffer): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER_LENGTH + (cid?.length ?? 0) + fragment.length);
  fragment.copy(out, writeRecordHeader(out, type, version, epoch, seq, fragment.length, cid));
  return out;
}
