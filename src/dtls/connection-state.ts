/**
 * Per-direction record state: the write side numbers records per epoch (RFC 6347 §4.1: the
 * sequence number restarts at 0 in each epoch and never repeats), the read side keeps the keys
 * and replay window of the current epoch (§4.1.2.6).
 */
import { ContentType, DTLS_1_2, RECORD_HEADER_LENGTH } from './constants.js';
import { encodeRecord, MAX_SEQ, writeRecordHeader, type DtlsRecord } from './record.js';
import { protectedLength, protectInto, protectionOverhead, releaseCcm, unprotect, type DirectionKeys } from './record-protection.js';
import { ReplayWindow } from './replay-window.js';
import { ownBytes } from './byte-reader.js';

export class SequenceExhaustedError extends Error {}

/**
 * Outgoing records come from 64 KB slabs, carved in order (Node's own pool is 8 KB and was
 * refilled every ~100 records, a tenth of the record path's CPU in the profile). A record
 * lives until the socket has sent it, so a slab is freed soon after it is used up; nothing
 * long-lived (keys, received plaintext) comes from here.
 */
const SLAB = 64 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB);
let slabUsed = 0;
function datagramBuffer(n: number): Buffer {
  if (n > SLAB / 8) return Buffer.allocUnsafe(n);
  if (slabUsed + n > SLAB) {
    slab = Buffer.allocUnsafeSlow(SLAB);
    slabUsed = 0;
  }
  const b = slab.subarray(slabUsed, slabUsed + n);
  // 8-byte aligned, as Node's pool does.
  slabUsed = (slabUsed + n + 7) & ~7;
  return b;
}

export class RecordWriter {
  /** Next sequence number for epoch 0 and for the current protected epoch. */
  #seq0: number;
  #seq1 = 0;
  #keys: DirectionKeys | undefined;
  /** The CID the peer asked us to put in records (RFC 9146 §3), if any. */
  #peerCid: Buffer | undefined;

  constructor(firstSeq0 = 0) {
    this.#seq0 = firstSeq0;
  }

  /** Installs epoch-1 keys (at our ChangeCipherSpec, RFC 5246 §7.1). */
  setKeys(keys: DirectionKeys, peerCid: Buffer | undefined): void {
    this.#keys = keys;
    this.#peerCid = peerCid && peerCid.length > 0 ? ownBytes(peerCid) : undefined;
  }

  get hasKeys(): boolean {
    return this.#keys !== undefined;
  }

  get peerCid(): Buffer | undefined {
    return this.#peerCid;
  }

  /** Drops the cipher contexts (re-made on the next record): an idle session keeps only keys. */
  releaseCrypto(): void {
    if (this.#keys) releaseCcm(this.#keys);
  }

  /** Largest content that fits one record in `mtu` bytes at `epoch`. */
  maxContent(epoch: number, mtu: number): number {
    if (epoch === 0 || !this.#keys) return mtu - RECORD_HEADER_LENGTH;
    const cidLen = this.#peerCid?.length ?? 0;
    return mtu - RECORD_HEADER_LENGTH - cidLen - protectionOverhead(this.#keys.cipher, cidLen);
  }

  /** One encoded record at `epoch` (0 = plaintext, 1 = protected with the installed keys). */
  record(type: number, epoch: number, content: Buffer): Buffer {
    if (epoch === 0) {
      if (this.#seq0 > MAX_SEQ) throw new SequenceExhaustedError('epoch 0 sequence exhausted');
      return encodeRecord(type, DTLS_1_2, 0, this.#seq0++, content);
    }
    if (!this.#keys) throw new Error('no write keys installed');
    // RFC 6347 §4.1: a sequence number must not wrap; the session has to end instead.
    if (this.#seq1 > MAX_SEQ) throw new SequenceExhaustedError('epoch 1 sequence exhausted');
    const seq = this.#seq1++;
    const cid = this.#peerCid;
    const outerType = cid ? ContentType.tls12Cid : type;
    // One allocation per record: the header, then the fragment sealed in place behind it.
    const fragmentLength = protectedLength(this.#keys, content.length, cid);
    const out = datagramBuffer(RECORD_HEADER_LENGTH + (cid?.length ?? 0) + fragmentLength);
    const at = writeRecordHeader(out, outerType, DTLS_1_2, epoch, seq, fragmentLength, cid);
    protectInto(this.#keys, { type: outerType, version: DTLS_1_2, epoch, seq, cid }, content, type, out, at);
    return out;
  }
}

export class RecordReader {
  readonly #keys: DirectionKeys;
  readonly #replay = new ReplayWindow();
  /** The CID we told the peer to send (RFC 9146 §3); records must carry it once set. */
  readonly #ownCid: Buffer | undefined;

  constructor(keys: DirectionKeys, ownCid: Buffer | undefined) {
    this.#keys = keys;
    this.#ownCid = ownCid && ownCid.length > 0 ? ownBytes(ownCid) : undefined;
  }

  get ownCid(): Buffer | undefined {
    return this.#ownCid;
  }

  get highestSeq(): number {
    return this.#replay.highest;
  }

  releaseCrypto(): void {
    releaseCcm(this.#keys);
  }

  /**
   * Authenticates and decrypts an epoch-1 record, or returns undefined (replayed, forged,
   * malformed). With a negotiated CID, only tls12_cid records carrying it are accepted.
   */
  open(rec: DtlsRecord): { type: number; content: Buffer } | undefined {
    if (rec.epoch !== 1) return undefined;
    if (this.#ownCid) {
      if (rec.type !== ContentType.tls12Cid || !rec.cid || !rec.cid.equals(this.#ownCid)) return undefined;
    } else if (rec.type === ContentType.tls12Cid) {
      return undefined;
    }
    if (!this.#replay.mayAccept(rec.seq)) return undefined;
    // A parsed record carries every header field the AAD needs (type, version, epoch, seq, cid).
    const out = unprotect(this.#keys, rec, rec.fragment);
    if (!out) return undefined;
    this.#replay.accept(rec.seq);
    return out;
  }
}
