import type { Logger } from '../log.js';
import type { Sublevel } from './level-db.js';
import { parseStored } from './level-json.js';
import { compilePattern, cursorKey, isStoredRecord, toStoredValue } from './object-store-values.js';
import { HIGH, SEP, keyPart, unKeyPart } from './store-keys.js';
import type { StoredValue } from './types.js';

/**
 * Every device's latest value for paths matching a pattern (ObjectStore.latestAcross) from the
 * LevelDB store's latest-value sublevel ("<endpoint> <path>" keys, endpoint order then path).
 */
export async function latestAcross(latest: Sublevel, pathPattern: string, options: { endpointPrefix?: string; after?: string; limit?: number }, logger: Logger): Promise<StoredValue[]> {
  const pattern = compilePattern(pathPattern);
  const prefix = keyPart(options.endpointPrefix ?? '');
  const limit = options.limit ?? Infinity;
  const after = options.after === undefined ? undefined : cursorKey(options.after);
  const range = after !== undefined && after >= prefix ? { gt: after, lt: prefix + HIGH } : { gte: prefix, lt: prefix + HIGH };
  if (limit <= 0) return [];
  // Keys only, then one getMany for the hits. Seeking to each device's matching subtree
  // was measured slower: every seek costs a round trip to the LevelDB thread, and a device
  // has few latest keys, while a keys-only scan reads ahead up to 1000 keys per trip.
  const hits: string[] = [];
  for await (const key of latest.keys(range)) {
    if (pattern.matches(key.slice(key.indexOf(SEP) + 1))) hits.push(key);
    if (hits.length >= limit) break;
  }
  if (hits.length === 0) return [];
  const raws = await latest.getMany(hits, { valueEncoding: 'utf8' });
  const out: StoredValue[] = [];
  raws.forEach((raw, i) => {
    const v = raw === undefined ? undefined : parseStored(raw, isStoredRecord, logger, 'obj-latest');
    if (v === undefined) return;
    // An endpoint's key part holds no separator (keyPart escapes it): the first one ends it.
    const key = hits[i]!;
    const sep = key.indexOf(SEP);
    out.push(toStoredValue(v, unKeyPart(key.slice(0, sep)), key.slice(sep + 1)));
  });
  return out;
}
