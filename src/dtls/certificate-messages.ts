/**
 * Handshake bodies of the ECDHE_ECDSA key exchange: Certificate (RFC 5246 §7.4.2, or the
 * RFC 7250 §3 raw public key form), the signed ServerKeyExchange (RFC 8422 §5.4),
 * CertificateRequest (RFC 5246 §7.4.4) and CertificateVerify (§7.4.8), all with
 * ecdsa_secp256r1_sha256 only.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { ByteReader, DecodeError, u16, vec8, vec16 } from './byte-reader.js';
import { EC_CURVE_TYPE_NAMED, NAMED_CURVE_SECP256R1 } from './constants.js';

/** RFC 5246 §7.4.1.4.1: hash sha256(4), signature ecdsa(3). */
export const ECDSA_SHA256 = Buffer.from([4, 3]);
/** RFC 8422 §5.5 ClientCertificateType ecdsa_sign. */
const ECDSA_SIGN = 64;

export const CertificateType = { x509: 0, rawPublicKey: 2 } as const;

function vec24(data: Buffer): Buffer {
  const len = Buffer.allocUnsafe(3);
  len.writeUIntBE(data.length, 0, 3);
  return Buffer.concat([len, data]);
}

export function certificateBody(type: number, chainOrSpki: Buffer[]): Buffer {
  if (type === CertificateType.rawPublicKey) return vec24(chainOrSpki[0]!);
  return vec24(Buffer.concat(chainOrSpki.map(vec24)));
}

/** The certificates (or the one SPKI for RPK) in a Certificate message. */
export function parseCertificateBody(type: number, body: Buffer): Buffer[] {
  const r = new ByteReader(body);
  const outer = r.bytes(r.u24());
  r.end();
  if (type === CertificateType.rawPublicKey) return outer.length === 0 ? [] : [Buffer.from(outer)];
  const lr = new ByteReader(outer);
  const out: Buffer[] = [];
  while (lr.remaining > 0) {
    const c = lr.bytes(lr.u24());
    if (c.length === 0) throw new DecodeError('empty certificate');
    out.push(Buffer.from(c));
  }
  return out;
}

/** ServerECDHParams followed by the ECDSA signature over client_random + server_random + params. */
export function signedServerKeyExchange(point: Buffer, clientRandom: Buffer, serverRandom: Buffer, key: KeyObject): Buffer {
  const params = Buffer.concat([Buffer.from([EC_CURVE_TYPE_NAMED]), u16(NAMED_CURVE_SECP256R1), vec8(point)]);
  const sig = sign('sha256', Buffer.concat([clientRandom, serverRandom, params]), key);
  return Buffer.concat([params, ECDSA_SHA256, vec16(sig)]);
}

export function certificateRequestBody(): Buffer {
  return Buffer.concat([vec8(Buffer.from([ECDSA_SIGN])), vec16(ECDSA_SHA256), vec16(Buffer.alloc(0))]);
}

/** RFC 5246 §7.4.8: the signature covers every handshake message before CertificateVerify. */
export function checkCertificateVerify(body: Buffer, handshakeMessages: Buffer, key: KeyObject): boolean {
  const r = new ByteReader(body);
  const alg = r.bytes(2);
  const sig = r.vec16();
  r.end();
  if (!alg.equals(ECDSA_SHA256)) return false;
  try {
    return verify('sha256', handshakeMessages, key, sig);
  } catch {
    return false;
  }
}

export function certificateVerifyBody(handshakeMessages: Buffer, key: KeyObject): Buffer {
  return Buffer.concat([ECDSA_SHA256, vec16(sign('sha256', handshakeMessages, key))]);
}

/** Test-client side: checks the server's signed ECDH parameters and returns its point. */
export function verifyServerKeyExchange(body: Buffer, clientRandom: Buffer, serverRandom: Buffer, key: KeyObject): Buffer {
  const r = new ByteReader(body);
  if (r.u8() !== EC_CURVE_TYPE_NAMED || r.u16() !== NAMED_CURVE_SECP256R1) throw new DecodeError('unsupported curve');
  const point = Buffer.from(r.vec8());
  const params = body.subarray(0, r.position);
  const alg = r.bytes(2);
  const sig = r.vec16();
  if (!alg.equals(ECDSA_SHA256) || !verify('sha256', Buffer.concat([clientRandom, serverRandom, params]), key, sig)) throw new DecodeError('bad ServerKeyExchange signature');
  return point;
}
