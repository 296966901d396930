/**
 * Building blocks of LevelDB keys shared by the stores. A key is a tuple of parts joined by
 * U+0000, which sorts below every other character: a range scan over one endpoint's keys
 * (`<ep>\0...`) therefore never catches an endpoint whose name merely starts with the same
 * characters ("dev-1" vs "dev-10"), and key order is tuple order. The two characters that
 * could break this (U+0000 and the escape U+0001) are escaped order-preservingly.
 */
export const SEP = '\x00';
/** Above every character LevelDB can hold in a UTF-8 key: the upper end of a prefix range. */
export const HIGH = '\u{10FFFF}';

/** One part of a key, escaped so it contains no separator. Order-preserving. */
export function keyPart(s: string): string {
  if (!/[\x00\x01]/.test(s)) return s;
  return s.replace(/[\x00\x01]/g, (c) => (c === '\x00' ? '\x01\x01' : '\x01\x02'));
}

/** The string a key part was made from (the inverse of keyPart). */
export function unKeyPart(part: string): string {
  if (!part.includes('\x01')) return part;
  return part.replace(/\x01[\x01\x02]/g, (e) => (e === '\x01\x01' ? '\x00' : '\x01'));
}

export function joinKey(...parts: string[]): string {
  return parts.join(SEP);
}

/** A non-negative integer as fixed-width decimal, so numeric order is string order. */
export function padNumber(n: number, width: number): string {
  const v = Math.max(0, Math.floor(n));
  const s = Number.isFinite(v) ? String(v) : '9'.repeat(width);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

/** Epoch ms, 15 digits (good until the year 33658). */
export function timeKey(ms: number): string {
  return padNumber(ms, 15);
}

/** A per-store sequence number, 16 digits (beyond Number.MAX_SAFE_INTEGER). */
export function seqKey(seq: number): string {
  return padNumber(seq, 16);
}

/**
 * A resource path as a sortable key: numeric segments padded to 5 digits (object, instance
 * and resource ids are at most 65535, LwM2M 1.1 §7.1), so "/3/0/9" sorts before "/3/0/10".
 * "/3/0/10" -> "00003/00000/00010". Non-numeric segments are kept as written (escaped).
 */
export function pathKey(path: string): string {
  // Every stored value needs its path key, and devices report the same few paths over and
  // over: remember them (bounded; a pure function of `path`).
  const known = PATH_KEYS.get(path);
  if (known !== undefined) return known;
  const key = pathKeyUncached(path);
  if (PATH_KEYS.size < MAX_PATH_KEYS) PATH_KEYS.set(path, key);
  return key;
}

const PATH_KEYS = new Map<string, string>();
const MAX_PATH_KEYS = 10_000;

function pathKeyUncached(path: string): string {
  const segments = path.split('/').filter((s) => s.length > 0);
  return keyPart(segments.map((s) => (/^\d{1,5}$/.test(s) ? padNumber(Number(s), 5) : s)).join('/'));
}

/**
 * The path a path key stands for, numeric segments without their padding ("00003/00000/00010"
 * -> "/3/0/10"). That is the path itself for the paths LwM2M devices report; for one written
 * otherwise ("/3/0/", "/3/00/1") it is not, so callers compare before relying on it.
 */
export function pathOfKey(pk: string): string {
  const known = PATHS_OF_KEYS.get(pk);
  if (known !== undefined) return known;
  const path = '/' + unKeyPart(pk).split('/').map((s) => (/^\d{5}$/.test(s) ? String(Number(s)) : s)).join('/');
  if (PATHS_OF_KEYS.size < MAX_PATH_KEYS) PATHS_OF_KEYS.set(pk, path);
  return path;
}

const PATHS_OF_KEYS = new Map<string, string>();

/**
 * Range bounds covering `prefixKey` itself and everything below it in the path tree
 * ("/3/0" covers "/3/0", "/3/0/1" but not "/3/01"). An empty prefix key covers everything.
 */
export function subtreeRange(base: string, prefixKey: string): { gte: string; lt: string } {
  if (prefixKey === '') return { gte: base, lt: base + HIGH };
  return { gte: base + prefixKey, lt: base + prefixKey + '/' + HIGH };
}
