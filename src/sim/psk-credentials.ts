import { Lwm2mError } from '../errors.js';

/** One device's PSK, as the simulator reads it from a credentials file. */
export interface SimPskCredential {
  endpoint: string;
  identity: string;
  key: Buffer;
}

const HEX = /^(?:[0-9a-fA-F]{2}){1,64}$/;

/** Line (1-based) of a character offset. */
const lineAt = (text: string, offset: number): number => text.slice(0, offset).split('\n').length;

/**
 * Where JSON.parse stopped, as a line number. Only the position is taken from its message:
 * V8 (Node 20) quotes the text around the error, which may be a key.
 */
function jsonErrorLine(text: string, e: unknown): number | undefined {
  const m = /at position (\d+)/.exec(e instanceof Error ? e.message : '');
  return m ? lineAt(text, Number(m[1])) : undefined;
}

/**
 * Parses a PSK credentials file: one device per line, `endpoint,identity,hexkey` (CSV, as
 * exported from a provisioning sheet), or a JSON array of `{ endpoint, identity, key }` with the
 * key in hex. Blank lines and `#` comments are ignored. Keys are never echoed in an error.
 */
export function parsePskCredentials(input: string, source = 'credentials file'): Map<string, SimPskCredential> {
  // A spreadsheet's CSV export may start with a byte order mark, which JSON.parse refuses.
  const text = input.replace(/^\uFEFF/, '');
  const out = new Map<string, SimPskCredential>();
  const bad = (where: string, message: string): Lwm2mError => new Lwm2mError('LWM2M_ERR_BAD_CONFIG', `${source}, ${where}: ${message}`);
  const add = (where: string, endpoint: unknown, identity: unknown, key: unknown): void => {
    if (typeof endpoint !== 'string' || endpoint === '') throw bad(where, 'missing endpoint');
    if (typeof identity !== 'string' || identity === '' || Buffer.byteLength(identity) > 128) throw bad(where, `identity of ${endpoint} must be 1 to 128 bytes`);
    if (typeof key !== 'string' || !HEX.test(key)) throw bad(where, `key of ${endpoint} must be 1 to 64 bytes in hex`);
    if (out.has(endpoint)) throw bad(where, `${endpoint} appears twice`);
    out.set(endpoint, { endpoint, identity, key: Buffer.from(key, 'hex') });
  };
  if (text.trimStart().startsWith('[')) {
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch (e) {
      const line = jsonErrorLine(text, e);
      throw new Lwm2mError('LWM2M_ERR_BAD_CONFIG', `${source} is not valid JSON${line !== undefined ? ` (line ${line})` : ''}`);
    }
    if (!Array.isArray(list)) throw new Lwm2mError('LWM2M_ERR_BAD_CONFIG', `${source}: expected a JSON array`);
    // Errors name the array entry (1-based): a JSON file's line numbers depend on its layout.
    list.forEach((item: unknown, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw bad(`entry ${i + 1}`, 'expected {"endpoint", "identity", "key"}');
      const r = item as Record<string, unknown>;
      add(`entry ${i + 1}`, r['endpoint'], r['identity'], r['key']);
    });
    return out;
  }
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(',').map((p) => p.trim());
    if (parts.length !== 3) throw bad(`line ${i + 1}`, 'expected endpoint,identity,hexkey');
    add(`line ${i + 1}`, parts[0], parts[1], parts[2]);
  });
  return out;
}
