/**
 * A self-signed X.509 v3 certificate for the server's P-256 key, signed with ECDSA-SHA256
 * (RFC 5280 §4.1, RFC 5758 §3.2), so X.509 mode works out of the box. Devices pin it (or the
 * operator replaces it with `lwm2m serve --cert/--key`).
 */
import { createHash, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { bitString, boolean, explicit, octetString, oid, sequence, set, smallInteger, time, unsignedInteger, utf8String } from './der-writer.js';

const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_COMMON_NAME = '2.5.4.3';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_SUBJECT_KEY_ID = '2.5.29.14';

export interface SelfSignedOptions {
  privateKey: KeyObject;
  commonName: string;
  /** Epoch ms; the certificate is valid from an hour before (clock skew) for `days`. */
  now: number;
  days: number;
  /** 16 random bytes (RFC 5280 §4.1.2.2: positive, at most 20 octets). */
  serial: Buffer;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/** The certificate, DER. */
export function selfSignedCertificate(o: SelfSignedOptions): Buffer {
  const spki = createPublicKey(o.privateKey).export({ type: 'spki', format: 'der' });
  const algorithm = sequence(oid(OID_ECDSA_SHA256));
  const name = sequence(set(sequence(oid(OID_COMMON_NAME), utf8String(o.commonName))));
  const point = spki.subarray(spki.length - 65);
  // RFC 5280 §4.2.1.2 method 1 would be SHA-1; any unique value is allowed, so the first 20 bytes of the point's SHA-256.
  const keyId = createHash('sha256').update(point).digest().subarray(0, 20);
  const extensions = sequence(
    // CA:TRUE lets a client use this certificate directly as its trust anchor.
    extension(OID_BASIC_CONSTRAINTS, true, sequence(boolean(true))),
    // digitalSignature (bit 0) for ECDHE_ECDSA, keyCertSign (bit 5) since it signs itself.
    extension(OID_KEY_USAGE, true, Buffer.from([0x03, 0x02, 0x02, 0x84])),
    extension(OID_SUBJECT_KEY_ID, false, octetString(keyId)),
  );
  const serial = Buffer.from(o.serial);
  serial[0] = serial[0]! & 0x7f;
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serial.every((b) => b === 0) ? Buffer.from([1]) : serial),
    algorithm,
    name,
    sequence(time(o.now - 3600_000), time(o.now + o.days * 86_400_000)),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, { key: o.privateKey, dsaEncoding: 'der' });
  return sequence(tbs, algorithm, bitString(signature));
}

export function toPem(der: Buffer, label: 'CERTIFICATE'): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
