/**
 * Which Content-Format the Bootstrap-Writes go out in. LwM2M 1.1 Core §5.2.7.1 lets the
 * client name its preferred format in the Bootstrap-Request (`pct`); a 1.0 client names none
 * and must support TLV (1.0 §6.4). A refusal with 4.15 or 4.06 moves on to the next candidate.
 */
import { ContentFormat } from '../../content/types.js';

/** Formats that carry a whole object instance (several resources) in one payload. */
export const INSTANCE_FORMATS: readonly number[] = [
  ContentFormat.TLV,
  ContentFormat.SENML_JSON,
  ContentFormat.SENML_CBOR,
  ContentFormat.JSON,
  ContentFormat.LWM2M_CBOR,
  ContentFormat.TLV_LEGACY,
  ContentFormat.JSON_LEGACY,
];

/** "1.1" -> 11; undefined when unknown. */
function version(text: string | undefined): number | undefined {
  const m = text === undefined ? null : /^(\d+)\.(\d+)/.exec(text);
  return m ? Number(m[1]) * 10 + Math.min(Number(m[2]), 9) : undefined;
}

export interface WriteFormatInput {
  /** From the bootstrap configuration: an operator knows the device best. */
  configured?: number;
  /** The `pct` of the Bootstrap-Request. */
  pct?: number;
  /** The `lwm2m=` of the root link of a Bootstrap-Discover answer. */
  lwm2mVersion?: string;
}

/** The candidates in order of preference, without duplicates; never empty. */
export function writeFormats(i: WriteFormatInput): number[] {
  const v = version(i.lwm2mVersion);
  const byVersion =
    v === undefined
      ? // Unknown version (no Discover answer, no pct): TLV is what every client we know accepts.
        [ContentFormat.TLV, ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR]
      : v >= 11
        ? [ContentFormat.SENML_CBOR, ContentFormat.SENML_JSON, ContentFormat.TLV]
        : [ContentFormat.TLV, ContentFormat.JSON];
  const candidates = [i.configured, i.pct, ...byVersion].filter((f): f is number => f !== undefined && INSTANCE_FORMATS.includes(f));
  return [...new Set(candidates)];
}

/** Answers that mean "not in this format" (RFC 7252 §5.9.2.7 4.15; Wakaama answers 4.06). */
export function isFormatRefusal(code: string): boolean {
  return code === '4.15' || code === '4.06';
}
