import { parseRegistrationLinks as parseLinkList } from '../../content/registration-links.js';
import { formatPath } from '../../content/path.js';
import { InternTable } from '../../intern-table.js';
import type { ObjectLink } from '../../store/types.js';

/** What a Register/Update payload says about the device (LwM2M 1.1 Transport §6.4.1, Core §6.2.1.1). */
export interface RegistrationLinks {
  /** Alternate root path (`</lwm2m>;rt="oma.lwm2m"`), "/" when none is given. */
  rootPath: string;
  /** `ct=` on the root link: the content formats the device supports (1.1). */
  supportedFormats: number[];
  objectLinks: ObjectLink[];
}

/**
 * Parsed payloads by their text. A fleet runs a handful of firmware images, so most devices
 * send byte-identical Register payloads: they share one frozen parse (no re-parse, and one set
 * of link objects in memory instead of one per device: ~1 KB per registration for nine links).
 * Bounded (InternTable). Payloads over CACHE_MAX_PAYLOAD bytes are parsed each time: rare, and
 * a long key costs more than it saves.
 */
const CACHE_MAX_PAYLOAD = 2048;
const cache = new InternTable<RegistrationLinks>();

/**
 * Parses the link-format payload of a Register or Update into what a registration records. The
 * result is frozen and may be shared by many registrations: replace it, never change it.
 */
export function parseRegistrationLinks(payload: Uint8Array): RegistrationLinks {
  if (payload.length > CACHE_MAX_PAYLOAD) return parseFresh(payload);
  const key = Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('latin1');
  return cache.get(key, () => parseFresh(payload));
}

function parseFresh(payload: Uint8Array): RegistrationLinks {
  const parsed = parseLinkList(payload);
  return Object.freeze({
    rootPath: parsed.rootPath,
    supportedFormats: Object.freeze(parsed.supportedFormats) as number[],
    objectLinks: Object.freeze(
      parsed.objectLinks.map(({ path, ver }) => {
        const link: ObjectLink = { path: formatPath(path), objectId: path.objectId! };
        if (path.instanceId !== undefined) link.instanceId = path.instanceId;
        if (ver !== undefined) link.version = ver;
        return Object.freeze(link);
      }),
    ) as ObjectLink[],
  });
}

/** Object versions announced with `ver=`, by object id (for codecs and the model registry). */
export function objectVersions(links: readonly ObjectLink[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const l of links) if (l.version) out.set(l.objectId, l.version);
  return out;
}
