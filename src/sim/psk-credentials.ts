import { Lwm2mError } from '../errors.js';

/** One device's PSK, as the simulator reads it from a credentials file. */
export interface SimPskCredential {
  endpoint: string;
  identity: string;
  key: Buffer;
}

const HEX = /^(?:[0-9a-fA-F]{2}){1,64}$/;

function bad(line: number, message: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_CONFIG', `credentials file, line ${line}: ${message}`);
}

/**
 * Parses a PSK credentials file: one device per line, `endpoint,identity,hexkey` (CSV, as
 * exported from a provisioning sheet), or a JSON array of `{ endpoint, identity, key }` with the
 * key in hex. Blank lines and `#` comments are ignored. Keys are never echoed in an error.
 */
export function parsePskCredentials(text: string): Map<string, SimPskCredential> {
  const out = new Map<string, SimPskCredential>();
  const add = (line: number, endpoint: unknown, identity: unknown, key: unknown): void => {
    if (typeof endpoint !== 'string' || endpoint === '') throw bad(line, 'missing endpoint');
    if (typeof identity !== 'string' || identity === '' || Buffer.byteLength(identity) > 128) throw bad(line, `identity of ${endpoint} must be 1 to 128 bytes`);
    if (typeof key !== 'string' || !HEX.test(key)) throw bad(line, `key of ${endpoint} must be 1 to 64 bytes in hex`);
    if (out.has(endpoint)) throw bad(line, `${endpoint} appears twice`);
    out.set(endpoint, { endpoint, identity, key: Buffer.from(key, 'hex') });
  };
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let list: unknown;
    try {
      list = JSON.parse(trimmed);
    } catch (e) {
      throw new Lwm2mError('LWM2M_ERR_BAD_CONFIG', `credentials file is not valid JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(list)) throw bad(1, 'expected an array');
    list.forEach((item: unknown, i) => {
      const r = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
      add(i + 1, r['endpoint'], r['identity'], r['key']);
    });
    return out;
  }
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(',').map((p) => p.trim());
    if (parts.length !== 3) throw bad(i + 1, 'expected endpoint,identity,hexkey');
    add(i + 1, parts[0], parts[1], parts[2]);
  });
  return out;
}
