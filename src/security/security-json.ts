import { Lwm2mError } from '../errors.js';
import { normalizeSecurityInfo } from './credential-input.js';
import type { SecurityInfo } from './types.js';

/**
 * The LevelDB form of credentials: keys as hex strings. The data folder therefore holds
 * secrets in the clear and must be readable by the server's user only (README: where keys live).
 */
export type StoredSecurity =
  | { endpoint: string; mode: 'psk'; identity: string; key: string }
  | { endpoint: string; mode: 'rpk'; publicKey: string }
  | { endpoint: string; mode: 'x509' };

export function toStored(info: SecurityInfo): StoredSecurity {
  if (info.mode === 'psk') return { endpoint: info.endpoint, mode: 'psk', identity: info.identity, key: info.key.toString('hex') };
  if (info.mode === 'rpk') return { endpoint: info.endpoint, mode: 'rpk', publicKey: info.publicKey.toString('hex') };
  return { endpoint: info.endpoint, mode: 'x509' };
}

/**
 * Reads a stored record back, validating it like new input. A record that does not read is a
 * store failure, not a skipped entry: skipping would let that endpoint register without
 * credentials over plain CoAP.
 */
export function fromStored(key: string, value: unknown): SecurityInfo {
  const v = value as Partial<Record<string, unknown>> | null;
  try {
    if (!v || typeof v !== 'object' || v.endpoint !== key) throw new Error('endpoint does not match its key');
    const hex = (field: unknown) => {
      if (typeof field !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(field)) throw new Error('key material is not hex');
      return Buffer.from(field, 'hex');
    };
    switch (v.mode) {
      case 'psk':
        return normalizeSecurityInfo({ endpoint: key, mode: 'psk', identity: v.identity as string, key: hex(v.key) });
      case 'rpk':
        return normalizeSecurityInfo({ endpoint: key, mode: 'rpk', publicKey: hex(v.publicKey) });
      case 'x509':
        return normalizeSecurityInfo({ endpoint: key, mode: 'x509' });
      default:
        throw new Error('unknown mode');
    }
  } catch (e) {
    throw new Lwm2mError('LWM2M_ERR_STORE', `unreadable security record for endpoint "${key}": ${(e as Error).message}`, { cause: e });
  }
}
