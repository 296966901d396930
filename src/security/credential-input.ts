/**
 * Validation of credentials before they are stored. Error messages name the field, never its
 * value, so a bad key cannot leak through an error or a log line.
 */
import { Lwm2mError } from '../errors.js';
import { endpointNameProblem } from '../lwm2m/endpoint-name.js';
import { fingerprint, toSpki } from './public-key.js';
import type { SecurityInfo, SecuritySummary } from './types.js';

/** RFC 4279 §5.3: implementations support identities up to 128 bytes and PSKs up to 64 bytes. */
export const MAX_PSK_IDENTITY_BYTES = 128;
export const MAX_PSK_KEY_BYTES = 64;

function bad(message: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_REQUEST', message);
}

/** An endpoint name an operator provisions: the rule Register and Bootstrap-Request apply. */
export function checkEndpoint(endpoint: unknown): string {
  if (typeof endpoint !== 'string') throw bad('endpoint must be a non-empty string');
  const problem = endpointNameProblem(endpoint);
  if (problem !== undefined) throw bad(`endpoint ${problem}`);
  return endpoint;
}

export function checkPskIdentity(identity: unknown): string {
  if (typeof identity !== 'string' || identity === '') throw bad('PSK identity must be a non-empty string');
  if (Buffer.byteLength(identity) > MAX_PSK_IDENTITY_BYTES) throw bad(`PSK identity must be at most ${MAX_PSK_IDENTITY_BYTES} bytes (RFC 4279 §5.3)`);
  return identity;
}

export function checkPskKey(key: unknown): Buffer {
  if (!(key instanceof Uint8Array)) throw bad('PSK key must be bytes');
  if (key.length === 0 || key.length > MAX_PSK_KEY_BYTES) throw bad(`PSK key must be 1 to ${MAX_PSK_KEY_BYTES} bytes (RFC 4279 §5.3)`);
  return Buffer.from(key);
}

/** PSK key given as hex text (API, CLI): even length, hex digits only, 1..64 bytes. */
export function pskKeyFromHex(hex: unknown): Buffer {
  if (typeof hex !== 'string' || !/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw bad('PSK key must be hex: an even number of 0-9a-f digits');
  return checkPskKey(Buffer.from(hex, 'hex'));
}

/** A validated, normalised copy (RPK keys become SPKI DER; buffers are copied). */
export function normalizeSecurityInfo(info: SecurityInfo): SecurityInfo {
  const endpoint = checkEndpoint(info?.endpoint);
  switch (info.mode) {
    case 'psk':
      return { endpoint, mode: 'psk', identity: checkPskIdentity(info.identity), key: checkPskKey(info.key) };
    case 'rpk':
      if (!(info.publicKey instanceof Uint8Array)) throw bad('RPK public key must be bytes');
      return { endpoint, mode: 'rpk', publicKey: toSpki(info.publicKey) };
    case 'x509':
      return { endpoint, mode: 'x509' };
    default:
      throw bad('security mode must be psk, rpk or x509');
  }
}

export function summarize(info: SecurityInfo): SecuritySummary {
  if (info.mode === 'psk') return { endpoint: info.endpoint, mode: 'psk', identity: info.identity };
  if (info.mode === 'rpk') return { endpoint: info.endpoint, mode: 'rpk', keyFingerprint: fingerprint(info.publicKey) };
  return { endpoint: info.endpoint, mode: 'x509' };
}

/** A copy the caller may change (or wipe) without touching the store. */
export function copyInfo(info: SecurityInfo): SecurityInfo {
  if (info.mode === 'psk') return { ...info, key: Buffer.from(info.key) };
  if (info.mode === 'rpk') return { ...info, publicKey: Buffer.from(info.publicKey) };
  return { ...info };
}
