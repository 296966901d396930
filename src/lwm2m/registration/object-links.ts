import { parseRegistrationLinks as parseLinkList } from '../../content/registration-links.js';
import { formatPath } from '../../content/path.js';
import type { ObjectLink } from '../../store/types.js';

/** What a Register/Update payload says about the device (LwM2M 1.1 Transport §6.4.1, Core §6.2.1.1). */
export interface RegistrationLinks {
  /** Alternate root path (`</lwm2m>;rt="oma.lwm2m"`), "/" when none is given. */
  rootPath: string;
  /** `ct=` on the root link: the content formats the device supports (1.1). */
  supportedFormats: number[];
  objectLinks: ObjectLink[];
}

/** Parses the link-format payload of a Register or Update into what a registration records. */
export function parseRegistrationLinks(payload: Uint8Array): RegistrationLinks {
  const parsed = parseLinkList(payload);
  return {
    rootPath: parsed.rootPath,
    supportedFormats: parsed.supportedFormats,
    objectLinks: parsed.objectLinks.map(({ path, ver }) => {
      const link: ObjectLink = { path: formatPath(path), objectId: path.objectId! };
      if (path.instanceId !== undefined) link.instanceId = path.instanceId;
      if (ver !== undefined) link.version = ver;
      return link;
    }),
  };
}

/** Object versions announced with `ver=`, by object id (for codecs and the model registry). */
export function objectVersions(links: readonly ObjectLink[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const l of links) if (l.version) out.set(l.objectId, l.version);
  return out;
}
