/**
 * DTLS handshake message framing (RFC 6347 §4.2.2): a 12-byte header with message_seq,
 * fragment_offset and fragment_length in front of each (fragment of a) handshake message.
 */
import { HANDSHAKE_HEADER_LENGTH } from './constants.js';
import { DecodeError } from './byte-reader.js';

export interface HandshakeFragment {
  msgType: number;
  /** Length of the whole message body. */
  length: number;
  messageSeq: number;
  fragmentOffset: number;
  body: Buffer;
}

/** A reassembled message. */
export interface HandshakeMessage {
  msgType: number;
  messageSeq: number;
  body: Buffer;
  /** Epoch of the record that completed it: Finished must come under the new keys. */
  epoch: number;
}

/** Parses every fragment in a handshake record (several may share one, RFC 6347 §4.2.3). */
export function parseHandshakeFragments(fragment: Buffer): HandshakeFragment[] {
  const out: HandshakeFragment[] = [];
  let pos = 0;
  while (pos < fragment.length) {
    if (fragment.length - pos < HANDSHAKE_HEADER_LENGTH) throw new DecodeError('short handshake header');
    const msgType = fragment[pos]!;
    const length = fragment.readUIntBE(pos + 1, 3);
    const messageSeq = fragment.readUInt16BE(pos + 4);
    const fragmentOffset = fragment.readUIntBE(pos + 6, 3);
    const fragmentLength = fragment.readUIntBE(pos + 9, 3);
    const start = pos + HANDSHAKE_HEADER_LENGTH;
    if (start + fragmentLength > fragment.length) throw new DecodeError('handshake fragment overruns record');
    if (fragmentOffset + fragmentLength > length) throw new DecodeError('handshake fragment overruns message');
    out.push({ msgType, length, messageSeq, fragmentOffset, body: fragment.subarray(start, start + fragmentLength) });
    pos = start + fragmentLength;
  }
  return out;
}

function header(msgType: number, length: number, seq: number, offset: number, fragLen: number): Buffer {
  const h = Buffer.allocUnsafe(HANDSHAKE_HEADER_LENGTH);
  h[0] = msgType;
  h.writeUIntBE(length, 1, 3);
  h.writeUInt16BE(seq, 4);
  h.writeUIntBE(offset, 6, 3);
  h.writeUIntBE(fragLen, 9, 3);
  return h;
}

/**
 * The whole message as one fragment. This is also the form that enters the handshake hash
 * (RFC 6347 §4.2.6: as if sent unfragmented, with the DTLS header).
 */
export function encodeHandshake(msgType: number, messageSeq: number, body: Buffer): Buffer {
  return Buffer.concat([header(msgType, body.length, messageSeq, 0, body.length), body]);
}

/** Splits a message into fragments whose bodies are at most `maxBody` bytes (RFC 6347 §4.2.3). */
export function fragmentHandshake(msgType: number, messageSeq: number, body: Buffer, maxBody: number): Buffer[] {
  if (body.length <= maxBody) return [encodeHandshake(msgType, messageSeq, body)];
  const out: Buffer[] = [];
  for (let off = 0; off < body.length; off += maxBody) {
    const part = body.subarray(off, Math.min(body.length, off + maxBody));
    out.push(Buffer.concat([header(msgType, body.length, messageSeq, off, part.length), part]));
  }
  return out;
}
