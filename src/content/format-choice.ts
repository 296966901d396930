import { badPayload } from '../errors.js';
import type { ResourceType } from '../model/types.js';
import type { PathLevel } from './path.js';
import { ContentFormat } from './types.js';

/**
 * Which Content-Format the server asks for (Accept) or writes in, per device.
 *
 * The rule, in order:
 *  1. An explicit `override` wins (an operator knows the device better than its registration),
 *     as long as it is a format we implement; for a composite operation it must be a composite
 *     format (SenML JSON 110, SenML CBOR 112, LwM2M CBOR 11544), else 4.06.
 *  2. Composite operations (Read/Write/Observe-Composite, LwM2M 1.1 §6.3.8, §6.4.7, §6.5.6):
 *     not in 1.0 (4.06). 1.2 with 11544 announced: LwM2M CBOR; 112 announced: SenML CBOR;
 *     otherwise SenML JSON, the composite format 1.1 clients ship (Wakaama announces ct=110).
 *  3. One value (a single-instance resource, or a resource instance): text/plain, mandatory in
 *     every version and the only format lwm2m-node-lib answers; for an opaque resource,
 *     octet-stream from 1.1 on, TLV in 1.0 (Leshan 1.0 answers 5.00 to Accept 42).
 *  4. Several values (object, instance, multiple resource):
 *     1.2 with 11544 announced → LwM2M CBOR; from 1.1: 112 announced → SenML CBOR,
 *     110 announced → SenML JSON; otherwise TLV 11542 (mandatory in 1.0, implemented by every
 *     1.1 client we know, and the default answer of Wakaama and Leshan), or the legacy 1542
 *     when the device announces only that; OMA JSON 11543 only when it is all that is announced.
 *  A root path is only for composite operations (and Send, which the device chooses): 4.06.
 */
export interface FormatChoiceInput {
  /** The `lwm2m=` version from registration ("1.0" when absent). */
  lwm2mVersion: string;
  /** The `ct=` list from registration; empty or absent when the device announced none. */
  supportedFormats?: readonly number[];
  /** The level of the target path. */
  level: PathLevel;
  /** True when a resource-level target is a multiple resource (several values). */
  multipleResource?: boolean;
  /** The model type of a resource-level target, when known (opaque changes the choice). */
  resourceType?: ResourceType;
  /** An explicit format from the API caller or the device configuration. */
  override?: number;
  operation?: 'read' | 'write' | 'composite' | 'observe';
}

/** Formats the server can encode and decode. */
export const IMPLEMENTED_FORMATS: readonly number[] = [
  ContentFormat.TEXT,
  ContentFormat.OPAQUE,
  ContentFormat.CBOR,
  ContentFormat.SENML_JSON,
  ContentFormat.SENML_CBOR,
  ContentFormat.TLV_LEGACY,
  ContentFormat.JSON_LEGACY,
  ContentFormat.TLV,
  ContentFormat.JSON,
  ContentFormat.LWM2M_CBOR,
];

/** Formats that can carry a list of paths (composite operations). */
export const COMPOSITE_FORMATS: readonly number[] = [ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR, ContentFormat.LWM2M_CBOR];

/** "1.1" → 11, "1.2.1" → 12; anything unparsable counts as 1.0. */
function versionNumber(text: string): number {
  // Every request asks; devices announce a handful of versions: remember them (bounded).
  const known = VERSIONS.get(text);
  if (known !== undefined) return known;
  const m = /^(\d+)\.(\d+)/.exec(text);
  const n = m ? Number(m[1]) * 10 + Math.min(Number(m[2]), 9) : 10;
  if (VERSIONS.size < 64) VERSIONS.set(text, n);
  return n;
}

const VERSIONS = new Map<string, number>();

export function chooseFormat(input: FormatChoiceInput): number {
  const composite = input.operation === 'composite';
  if (input.override !== undefined) {
    if (!IMPLEMENTED_FORMATS.includes(input.override)) throw badPayload(`Content-Format ${input.override} is not supported`, '4.15');
    if (composite && !COMPOSITE_FORMATS.includes(input.override)) {
      throw badPayload(`Content-Format ${input.override} cannot carry a composite operation`, '4.06');
    }
    return input.override;
  }
  const version = versionNumber(input.lwm2mVersion);
  const announced = input.supportedFormats ?? [];
  const has = (f: number): boolean => announced.includes(f);
  if (composite) {
    if (version < 11) throw badPayload(`LwM2M ${input.lwm2mVersion} has no composite operations`, '4.06');
    if (version >= 12 && has(ContentFormat.LWM2M_CBOR)) return ContentFormat.LWM2M_CBOR;
    if (has(ContentFormat.SENML_CBOR)) return ContentFormat.SENML_CBOR;
    return ContentFormat.SENML_JSON;
  }
  if (input.level === 'root') throw badPayload('the root path is only for composite operations', '4.06');
  const single = input.level === 'resourceInstance' || (input.level === 'resource' && input.multipleResource !== true);
  if (single) {
    if (input.resourceType === 'opaque') return version >= 11 ? ContentFormat.OPAQUE : ContentFormat.TLV;
    return ContentFormat.TEXT;
  }
  if (version >= 12 && has(ContentFormat.LWM2M_CBOR)) return ContentFormat.LWM2M_CBOR;
  if (version >= 11 && has(ContentFormat.SENML_CBOR)) return ContentFormat.SENML_CBOR;
  if (version >= 11 && has(ContentFormat.SENML_JSON)) return ContentFormat.SENML_JSON;
  if (has(ContentFormat.TLV_LEGACY) && !has(ContentFormat.TLV)) return ContentFormat.TLV_LEGACY;
  const onlyJson = announced.length > 0 && announced.every((f) => f === ContentFormat.JSON || f === ContentFormat.JSON_LEGACY);
  if (onlyJson) return has(ContentFormat.JSON) ? ContentFormat.JSON : ContentFormat.JSON_LEGACY;
  return ContentFormat.TLV;
}
