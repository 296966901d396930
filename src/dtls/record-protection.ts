/**
 * Record protection for the two bulk ciphers:
 *  - AES-128-CCM_8 AEAD (RFC 6655 §3): nonce = 4-byte salt from the key block + 8-byte explicit
 *    nonce carried in the record (we send epoch||seq, RFC 6655 §3 / RFC 5288 §3);
 *  - AES-128-CBC + HMAC-SHA256, MAC-then-encrypt with an explicit random IV (RFC 5246 §6.2.3.2).
 * Additional data is RFC 5246 §6.2.3.3 with the DTLS seq_num = epoch||sequence (RFC 6347 §4.1.2.1),
 * or, for tls12_cid records, the RFC 9146 §5 layout over DTLSInnerPlaintext.
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { pooledRandomBytes } from '../random-pool.js';
import { ContentType } from './constants.js';
import type { CipherSuite } from './cipher-suites.js';
import { keyBlockLength } from './cipher-suites.js';
import { keyBlock } from './prf.js';
import { ownBytes } from './byte-reader.js';
import { Ccm8 } from './ccm8.js';
import { writeSeqNum } from './seq-num.js';

export interface DirectionKeys {
  cipher: CipherSuite['cipher'];
  encKey: Buffer;
  macKey: Buffer;
  fixedIv: Buffer;
  /** CCM_8 contexts, made on first use (a session that never sends holds none). */
  ccm?: Ccm8;
  /** Used since it last went round the hot set (CLOCK second chance). */
  ccmUsed?: boolean;
}

export interface RecordHeaderFields {
  type: number;
  version: number;
  epoch: number;
  seq: number;
  cid?: Buffer;
}

const CCM_TAG = 8;
const CCM_EXPLICIT_NONCE = 8;
const CBC_IV = 16;
const MAC_LEN = 32;

/** Splits the key block (RFC 5246 §6.3) into the client-write and server-write keys. */
export function deriveKeys(suite: CipherSuite, master: Buffer, clientRandom: Buffer, serverRandom: Buffer): { client: DirectionKeys; server: DirectionKeys } {
  // One exact-size allocation holds all the key material; the keys are views into it.
  const kb = ownBytes(keyBlock(master, clientRandom, serverRandom, keyBlockLength(suite)));
  let p = 0;
  const take = (n: number): Buffer => kb.subarray(p, (p += n));
  const cMac = take(suite.macKeyLength);
  const sMac = take(suite.macKeyLength);
  const cKey = take(suite.encKeyLength);
  const sKey = take(suite.encKeyLength);
  const cIv = take(suite.fixedIvLength);
  const sIv = take(suite.fixedIvLength);
  return {
    client: { cipher: suite.cipher, encKey: cKey, macKey: cMac, fixedIv: cIv },
    server: { cipher: suite.cipher, encKey: sKey, macKey: sMac, fixedIv: sIv },
  };
}

/**
 * The most keys that hold live CCM_8 contexts at once, process-wide. A context costs about
 * 2 KB of native memory per AES key schedule (up to two per key), which an idle session must
 * not carry (the target is <= 4 KB per idle session): the least recently used keys give theirs
 * up and make a new one when their session speaks again (one AES context creation, what every
 * record cost before). 1024 keys = 512 busy sessions, at most ~4 MB.
 */
export const MAX_HOT_KEYS = 1024;
/**
 * Keys holding contexts, oldest first. Approximate LRU by the CLOCK rule: a use only sets a
 * flag (re-ordering a Set on every record cost ~1 µs); eviction gives flagged keys a second
 * round and takes the first unflagged one.
 */
const hot = new Set<DirectionKeys>();

function ccmFor(keys: DirectionKeys): Ccm8 {
  const c = keys.ccm;
  if (c) {
    keys.ccmUsed = true;
    return c;
  }
  const made = (keys.ccm = new Ccm8(keys.encKey, keys.fixedIv));
  keys.ccmUsed = false;
  hot.add(keys);
  // At most two rounds: after the first every flag is clear.
  for (let turns = 2 * hot.size; hot.size > MAX_HOT_KEYS && turns > 0; turns--) {
    const oldest = hot.values().next().value;
    if (!oldest) break;
    hot.delete(oldest);
    if (oldest === keys || oldest.ccmUsed) {
      // The key being served stays; a used one gets a second round.
      oldest.ccmUsed = false;
      hot.add(oldest);
    } else {
      releaseCcm(oldest);
    }
  }
  return made;
}

/** Drops the CCM_8 contexts of `keys` (they are re-made on next use). */
export function releaseCcm(keys: DirectionKeys): void {
  keys.ccm = undefined;
  hot.delete(keys);
}

/** How many keys hold live CCM_8 contexts now (for tests and the benchmark). */
export function hotCcmKeys(): number {
  return hot.size;
}

/** Bytes a protected record adds over its plaintext, at most. */
export function protectionOverhead(cipher: CipherSuite['cipher'], cidLength = 0): number {
  const inner = cidLength > 0 ? 1 : 0;
  return cipher === 'aes128_ccm8' ? CCM_EXPLICIT_NONCE + CCM_TAG + inner : CBC_IV + MAC_LEN + 16 + inner;
}


/**
 * AAD scratch: the cipher (or HMAC) copies it into its own input before it returns, so one
 * buffer serves every record (JS is single-threaded) instead of an allocation a record.
 */
const aadScratch = Buffer.alloc(13);
let cidAadScratch = Buffer.alloc(64);

/**
 * The AEAD additional data / MAC prefix for a record whose (inner) plaintext has `length`
 * bytes. A scratch buffer, valid until the next call.
 */
function additionalData(h: RecordHeaderFields, length: number): Buffer {
  if (h.cid && h.cid.length > 0) {
    // RFC 9146 §5.3 (AEAD) and §5.1 (MAC): placeholder, tls12_cid, cid_length, tls12_cid,
    // version, epoch, sequence_number, cid, length_of_DTLSInnerPlaintext.
    const n = 8 + 3 + 2 + 8 + h.cid.length + 2;
    if (cidAadScratch.length < n) cidAadScratch = Buffer.alloc(n);
    const b = cidAadScratch.subarray(0, n);
    b.fill(0xff, 0, 8);
    b[8] = ContentType.tls12Cid;
    b[9] = h.cid.length;
    b[10] = ContentType.tls12Cid;
    b.writeUInt16BE(h.version, 11);
    writeSeqNum(b, 13, h.epoch, h.seq);
    h.cid.copy(b, 21);
    b.writeUInt16BE(length, 21 + h.cid.length);
    return b;
  }
  const b = aadScratch;
  writeSeqNum(b, 0, h.epoch, h.seq);
  b[8] = h.type;
  b[9] = (h.version >>> 8) & 0xff;
  b[10] = h.version & 0xff;
  b[11] = (length >>> 8) & 0xff;
  b[12] = length & 0xff;
  return b;
}

/** The fragment length `protectInto` writes for `contentLength` bytes of content. */
export function protectedLength(keys: DirectionKeys, contentLength: number, cid: Buffer | undefined): number {
  const plainLen = contentLength + (cid && cid.length > 0 ? 1 : 0);
  if (keys.cipher === 'aes128_ccm8') return CCM_EXPLICIT_NONCE + plainLen + CCM_TAG;
  return CBC_IV + plainLen + MAC_LEN + (15 - ((plainLen + MAC_LEN) % 16)) + 1;
}

/**
 * Protects `content`. With a CID, `h.type` must be tls12_cid and `realType` the inner content
 * type (RFC 9146 §4: DTLSInnerPlaintext = content || real_type || zeros; we add no padding).
 */
export function protect(keys: DirectionKeys, h: RecordHeaderFields, content: Buffer, realType: number): Buffer {
  const out = Buffer.allocUnsafe(protectedLength(keys, content.length, h.cid));
  protectInto(keys, h, content, realType, out, 0);
  return out;
}

/**
 * `protect`, writing the fragment into `out` at `offset` (exactly `protectedLength` bytes):
 * the record writer seals straight into the datagram, after the header it wrote.
 */
export function protectInto(keys: DirectionKeys, h: RecordHeaderFields, content: Buffer, realType: number, out: Buffer, offset: number): void {
  const plain = h.cid && h.cid.length > 0 ? Buffer.concat([content, Buffer.from([realType])]) : content;
  const aad = additionalData(h, plain.length);
  if (keys.cipher === 'aes128_ccm8') {
    // explicit nonce (epoch || seq) || ciphertext || tag.
    writeSeqNum(out, offset, h.epoch, h.seq);
    ccmFor(keys).sealRecord(h.epoch, h.seq, aad, plain, out, offset + CCM_EXPLICIT_NONCE);
    return;
  }
  const mac = createHmac('sha256', keys.macKey).update(aad).update(plain).digest();
  const padLen = 15 - ((plain.length + MAC_LEN) % 16);
  const padding = Buffer.alloc(padLen + 1, padLen);
  const iv = pooledRandomBytes(CBC_IV);
  const c = createCipheriv('aes-128-cbc', keys.encKey, iv);
  c.setAutoPadding(false);
  iv.copy(out, offset);
  const body = Buffer.concat([c.update(Buffer.concat([plain, mac, padding])), c.final()]);
  body.copy(out, offset + CBC_IV);
}

/**
 * Verifies and decrypts a record fragment. Returns undefined on any failure, without saying
 * which (RFC 6347 §4.1.2.7 drops bad records silently; no padding oracle).
 */
export function unprotect(keys: DirectionKeys, h: RecordHeaderFields, fragment: Buffer): { type: number; content: Buffer } | undefined {
  let plain: Buffer | undefined;
  if (keys.cipher === 'aes128_ccm8') plain = openCcm(keys, h, fragment);
  else plain = openCbc(keys, h, fragment);
  if (!plain) return undefined;
  if (h.cid && h.cid.length > 0) {
    // Strip zero padding; the last non-zero byte is the real content type (RFC 9146 §4).
    let end = plain.length;
    while (end > 0 && plain[end - 1] === 0) end--;
    if (end === 0) return undefined;
    return { type: plain[end - 1]!, content: plain.subarray(0, end - 1) };
  }
  return { type: h.type, content: plain };
}

function openCcm(keys: DirectionKeys, h: RecordHeaderFields, fragment: Buffer): Buffer | undefined {
  if (fragment.length < CCM_EXPLICIT_NONCE + CCM_TAG) return undefined;
  const aad = additionalData(h, fragment.length - CCM_EXPLICIT_NONCE - CCM_TAG);
  // Nonce = salt || the explicit nonce the record carries (RFC 6655 §3), as 16 + 48 bits.
  const hi = (fragment[0]! << 8) | fragment[1]!;
  const lo = (fragment[2]! << 8 | fragment[3]!) * 0x1_0000_0000 + ((fragment[4]! << 24) >>> 0) + (fragment[5]! << 16) + (fragment[6]! << 8) + fragment[7]!;
  return ccmFor(keys).openRecord(hi, lo, aad, fragment, CCM_EXPLICIT_NONCE, fragment.length);
}

function openCbc(keys: DirectionKeys, h: RecordHeaderFields, fragment: Buffer): Buffer | undefined {
  if (fragment.length < CBC_IV + 48 || (fragment.length - CBC_IV) % 16 !== 0) return undefined;
  let dec: Buffer;
  try {
    const d = createDecipheriv('aes-128-cbc', keys.encKey, fragment.subarray(0, CBC_IV));
    d.setAutoPadding(false);
    dec = Buffer.concat([d.update(fragment.subarray(CBC_IV)), d.final()]);
  } catch {
    return undefined;
  }
  const padLen = dec[dec.length - 1]!;
  let padOk = padLen + 1 + MAC_LEN <= dec.length;
  // Check every padding byte without an early exit, then MAC anyway (Lucky13 hygiene).
  const checkLen = padOk ? padLen + 1 : 1;
  let diff = 0;
  for (let i = dec.length - checkLen; i < dec.length; i++) diff |= dec[i]! ^ padLen;
  if (diff !== 0) padOk = false;
  const contentLen = dec.length - MAC_LEN - (padOk ? padLen + 1 : 1);
  const plain = dec.subarray(0, contentLen);
  const mac = dec.subarray(contentLen, contentLen + MAC_LEN);
  const expect = createHmac('sha256', keys.macKey).update(additionalData(h, contentLen)).update(plain).digest();
  const macOk = timingSafeEqual(mac, expect);
  return padOk && macOk ? plain : undefined;
}
