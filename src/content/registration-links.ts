import { badPayload } from '../errors.js';
import { decodeLinkFormat, parseLinkFormat } from './link-format.js';
import { parsePath } from './path.js';
import type { DecodeLimits, LwM2mPath } from './types.js';

/**
 * The link list of a Register / Update (LwM2M 1.1 §6.2.1 and §6.2.1.1):
 * `</>;rt="oma.lwm2m";ct=110,</1>;ver=1.1,</1/0>,</3/0>`. A link whose rt contains "oma.lwm2m"
 * names the alternate root path ("/" when absent); it, or a plain `</>` link, may list the
 * supported Content-Formats in `ct` (one number, a quoted space-separated list, or repeated).
 * Object links may carry `ver`.
 */
export interface RegistrationLinks {
  /** "/" or the alternate path, e.g. "/lwm2m". LwM2M paths below are relative to it. */
  rootPath: string;
  /** Content-Format codes from ct=, in the order given; empty when not announced (1.0 clients). */
  supportedFormats: number[];
  /** Object and object-instance links, in payload order. */
  objectLinks: { path: LwM2mPath; ver?: string }[];
  /** Object versions announced with ver=, by object id. */
  objectVersions: Map<number, string>;
}

const VERSION = /^\d{1,3}\.\d{1,3}$/;

function isRootLink(rt: string | true | undefined): boolean {
  return typeof rt === 'string' && rt.split(/\s+/).includes('oma.lwm2m');
}

function parseCt(raw: string | true): number[] {
  const parts = raw === true ? [] : raw.trim().split(/\s+/);
  if (parts.length === 0 || parts.length > 32 || !parts.every((p) => /^\d{1,5}$/.test(p) && Number(p) <= 65535)) {
    throw badPayload(`registration: ct=${String(raw)} is not a list of Content-Format numbers`, '4.00');
  }
  return parts.map(Number);
}

/** Parses and checks the registration link list. Bad links are a 4.00 naming the link. */
export function parseRegistrationLinks(payload: string | Uint8Array, limits?: Partial<DecodeLimits>): RegistrationLinks {
  const links = typeof payload === 'string' ? parseLinkFormat(payload, limits) : decodeLinkFormat(payload, limits);
  // The alternate root carries rt="oma.lwm2m"; without one, a plain </> link may still carry ct=.
  const root = links.find((l) => isRootLink(l.params['rt'])) ?? links.find((l) => l.target === '/');
  const rootPath = root ? root.target.replace(/\/+$/, '') || '/' : '/';
  if (!rootPath.startsWith('/')) throw badPayload(`registration: root path <${rootPath}> is not absolute`, '4.00');
  const prefix = rootPath === '/' ? '' : rootPath;
  const result: RegistrationLinks = {
    rootPath,
    supportedFormats: root?.params['ct'] !== undefined ? parseCt(root.params['ct']) : [],
    objectLinks: [],
    objectVersions: new Map(),
  };
  for (const link of links) {
    if (link === root) continue;
    // Links outside the LwM2M root (other CoRE resources of the device) are not objects.
    if (prefix !== '' && !(link.target === prefix || link.target.startsWith(`${prefix}/`))) continue;
    const rel = link.target.slice(prefix.length);
    if (rel === '' || rel === '/') continue;
    let path: LwM2mPath;
    try {
      path = parsePath(rel);
    } catch (e) {
      throw badPayload(`registration: link <${link.target}> is not an object or object instance`, '4.00', e);
    }
    if (!rel.startsWith('/') || path.resourceId !== undefined) {
      throw badPayload(`registration: link <${link.target}> is not an object or object instance`, '4.00');
    }
    const ver = link.params['ver'];
    if (ver !== undefined) {
      if (ver === true || !VERSION.test(ver)) throw badPayload(`registration: <${link.target}>;ver=${String(ver)} is not "major.minor"`, '4.00');
      result.objectVersions.set(path.objectId!, ver);
      result.objectLinks.push({ path, ver });
    } else {
      result.objectLinks.push({ path });
    }
  }
  return result;
}
