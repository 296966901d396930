/**
 * Object versions ("major.minor", LwM2M 1.1 §7.2.2 "Object Versioning") and the rule the
 * registry uses to pick a model when a device reports a version we do not hold.
 */

export interface ParsedVersion {
  major: number;
  minor: number;
}

const VERSION_RE = /^(\d{1,5})\.(\d{1,5})$/;

/** "1.2" -> {1, 2}; undefined for anything that is not two decimal numbers joined by a dot. */
export function parseVersion(text: string): ParsedVersion | undefined {
  const m = VERSION_RE.exec(text);
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

export function isVersion(text: string): boolean {
  return parseVersion(text) !== undefined;
}

/** Numeric order: 1.9 < 1.10 < 2.0. Both must be valid versions. */
export function compareVersions(a: ParsedVersion, b: ParsedVersion): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

/**
 * Pick the best of `available` (sorted oldest first, all valid) for a `requested` version:
 * 1. the exact version;
 * 2. same major, the highest minor below it: minor revisions only add optional items
 *    (LwM2M 1.1 §7.2.2), so an older minor still describes everything it names correctly;
 * 3. same major, the lowest minor above it (the nearest superset);
 * 4. another major: the closest older version, else the closest newer one.
 * A missing or malformed `requested` yields the newest. Returns an index into `available`.
 */
export function pickVersion(available: readonly ParsedVersion[], requested: ParsedVersion | undefined): number {
  if (available.length === 0) return -1;
  if (requested === undefined) return available.length - 1;
  let olderSameMajor = -1;
  let newerSameMajor = -1;
  let older = -1;
  let newer = -1;
  for (let i = 0; i < available.length; i++) {
    const v = available[i]!;
    const cmp = compareVersions(v, requested);
    if (cmp === 0) return i;
    if (cmp < 0) {
      older = i;
      if (v.major === requested.major) olderSameMajor = i;
    } else {
      if (newer === -1) newer = i;
      if (v.major === requested.major && newerSameMajor === -1) newerSameMajor = i;
    }
  }
  if (olderSameMajor !== -1) return olderSameMajor;
  if (newerSameMajor !== -1) return newerSameMajor;
  return older !== -1 ? older : newer;
}
