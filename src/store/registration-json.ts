import type { PeerIdentity } from '../transport/types.js';
import type { ObjectLink, Registration } from './types.js';

/** A registration as stored in LevelDB: JSON-safe (raw public keys as base64). */
export type StoredRegistration = Omit<Registration, 'identity'> & { identity?: StoredIdentity };

type StoredIdentity =
  | { kind: 'psk'; identity: string }
  | { kind: 'rpk'; publicKey: string }
  | { kind: 'x509'; commonName: string; certificate: string };

export function toStored(reg: Registration): StoredRegistration {
  const { identity, ...rest } = reg;
  if (!identity) return rest;
  return { ...rest, identity: identityToStored(identity) };
}

export function fromStored(s: StoredRegistration): Registration {
  const { identity, ...rest } = s;
  rest.objectLinks = internObjectLinks(rest.objectLinks);
  rest.supportedFormats = internFormats(rest.supportedFormats);
  if (!identity) return rest;
  return { ...rest, identity: identityFromStored(identity) };
}

/*
 * Registrations loaded at start share their object links and format lists: a fleet runs a
 * handful of firmware images, and one copy per device of nine link objects is ~1 KB each
 * (the registration interface shares its parses the same way). Frozen: replace, never change.
 */
const INTERN_MAX = 4096;
const linkLists = new Map<string, ObjectLink[]>();
const formatLists = new Map<string, number[]>();

function internObjectLinks(links: ObjectLink[]): ObjectLink[] {
  let key = '';
  for (const l of links) key += `${l.path};${l.version ?? ''},`;
  return intern(linkLists, key, () => Object.freeze(links.map((l) => Object.freeze({ ...l }))) as ObjectLink[]);
}

function internFormats(formats: number[]): number[] {
  return intern(formatLists, formats.join(','), () => Object.freeze([...formats]) as number[]);
}

function intern<T>(map: Map<string, T>, key: string, make: () => T): T {
  const hit = map.get(key);
  if (hit !== undefined) return hit;
  const value = make();
  if (map.size >= INTERN_MAX) map.clear();
  map.set(key, value);
  return value;
}

function identityToStored(i: PeerIdentity): StoredIdentity {
  switch (i.kind) {
    case 'psk':
      return i;
    case 'rpk':
      return { kind: 'rpk', publicKey: Buffer.from(i.publicKey).toString('base64') };
    case 'x509':
      return { kind: 'x509', commonName: i.commonName, certificate: Buffer.from(i.certificate).toString('base64') };
  }
}

function identityFromStored(i: StoredIdentity): PeerIdentity {
  switch (i.kind) {
    case 'psk':
      return i;
    case 'rpk':
      return { kind: 'rpk', publicKey: Buffer.from(i.publicKey, 'base64') };
    case 'x509':
      return { kind: 'x509', commonName: i.commonName, certificate: Buffer.from(i.certificate, 'base64') };
  }
}
