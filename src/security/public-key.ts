/**
 * P-256 public keys for raw-public-key mode (RFC 7250). Canonical form: DER
 * SubjectPublicKeyInfo. Accepted on input: SPKI DER, the 65-byte uncompressed or 33-byte
 * compressed point (SEC 1 §2.3.3), PEM (a PUBLIC KEY block; a private key gives its public
 * half), each also as hex text.
 */
import { createHash, createPublicKey, ECDH, type KeyObject } from 'node:crypto';
import { Lwm2mError } from '../errors.js';

/** The fixed DER prefix of an id-ecPublicKey / prime256v1 SPKI holding a 65-byte point (RFC 5480 §2). */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

function bad(message: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_REQUEST', message);
}

function isP256(k: KeyObject): boolean {
  return k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/**
 * Any accepted form to SPKI DER, checking that it is a valid point on P-256. Throws a
 * LWM2M_ERR_BAD_REQUEST that never quotes the input.
 */
export function toSpki(input: Uint8Array | string): Buffer {
  let bytes: Buffer;
  if (typeof input === 'string') {
    const text = input.trim();
    if (text.includes('-----BEGIN')) return spkiOfPem(text);
    const compact = text.replace(/[\s:]/g, '');
    if (!HEX.test(compact)) throw bad('public key must be PEM, or hex of a SubjectPublicKeyInfo or a P-256 point');
    bytes = Buffer.from(compact, 'hex');
  } else {
    bytes = Buffer.from(input);
  }
  if (bytes.length === 33 && (bytes[0] === 2 || bytes[0] === 3)) bytes = uncompress(bytes);
  const der = bytes.length === 65 && bytes[0] === 4 ? Buffer.concat([P256_SPKI_PREFIX, bytes]) : bytes;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    throw bad('public key is neither a SubjectPublicKeyInfo nor a P-256 point');
  }
  if (!isP256(key)) throw bad('public key must be an EC P-256 key (RFC 7250 with RFC 7251 suites)');
  // Re-export: a point not on the curve fails here; the output is the canonical DER.
  return key.export({ type: 'spki', format: 'der' });
}

function uncompress(point: Buffer): Buffer {
  try {
    return ECDH.convertKey(point, 'prime256v1', undefined, undefined, 'uncompressed') as Buffer;
  } catch {
    throw bad('compressed point is not on P-256');
  }
}

function spkiOfPem(pem: string): Buffer {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw bad('PEM text is not a readable public or private key');
  }
  if (!isP256(key)) throw bad('public key must be an EC P-256 key (RFC 7250 with RFC 7251 suites)');
  return key.export({ type: 'spki', format: 'der' });
}

/**
 * Cheap lookup form (no crypto): SPKI DER as is, a raw uncompressed point with the P-256
 * prefix. The store indexes by the hex of this.
 */
export function lookupKey(publicKey: Uint8Array): string {
  const b = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength);
  if (b.length === 65 && b[0] === 4) return P256_SPKI_PREFIX.toString('hex') + b.toString('hex');
  return b.toString('hex');
}

/** The 65-byte uncompressed point of a P-256 SPKI. */
export function rawPoint(spki: Buffer): Buffer {
  if (spki.length !== P256_SPKI_PREFIX.length + 65 || !spki.subarray(0, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX)) {
    throw bad('not a P-256 SubjectPublicKeyInfo');
  }
  return Buffer.from(spki.subarray(P256_SPKI_PREFIX.length));
}

/** "sha256:" + 32 hex digits: enough to tell keys apart in a list, useless to an attacker. */
export function fingerprint(spki: Uint8Array): string {
  return `sha256:${createHash('sha256').update(spki).digest('hex').slice(0, 32)}`;
}
