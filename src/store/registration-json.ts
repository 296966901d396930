import { InternTable } from '../intern-table.js';
import type { PeerIdentity } from '../transport/types.js';
import type { ObjectLink, Registration } from './types.js';

/**
 * A registration as stored in LevelDB: JSON-safe (raw public keys as base64), object links in
 * `links` as one compact string ("/1;1.1,/1/0,/3;1.1,...": path, then `;version` when
 * announced). As JSON objects the links were 60% of each record, and of the time to load a
 * large fleet at start. Records written before carry `objectLinks` and are read as they are.
 */
export type StoredRegistration = Omit<Registration, 'identity' | 'objectLinks'> & { identity?: StoredIdentity; links?: string; objectLinks?: ObjectLink[] };

type StoredIdentity =
  | { kind: 'psk'; identity: string }
  | { kind: 'rpk'; publicKey: string }
  | { kind: 'x509'; commonName: string; certificate: string };

/**
 * Enough of a stored registration's shape to index and use it: a damaged entry is skipped at
 * start (and logged) rather than stopping the server.
 */
export function isStoredRegistration(v: unknown): v is StoredRegistration {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const addr = r.address as Record<string, unknown> | null | undefined;
  return (
    typeof r.id === 'string' &&
    typeof r.endpoint === 'string' &&
    typeof r.lifetime === 'number' &&
    typeof r.expiresAt === 'number' &&
    (typeof r.links === 'string' || Array.isArray(r.objectLinks)) &&
    Array.isArray(r.supportedFormats) &&
    typeof addr === 'object' &&
    addr !== null &&
    typeof addr.address === 'string' &&
    typeof addr.port === 'number'
  );
}

export function toStored(reg: Registration): StoredRegistration {
  // Field by field (one shape, no rest/spread copies): written on every Update.
  const out: StoredRegistration = {
    id: reg.id,
    endpoint: reg.endpoint,
    lifetime: reg.lifetime,
    lwm2mVersion: reg.lwm2mVersion,
    binding: reg.binding,
    queueMode: reg.queueMode,
    rootPath: reg.rootPath,
    supportedFormats: reg.supportedFormats,
    address: reg.address,
    transport: reg.transport,
    registeredAt: reg.registeredAt,
    lastUpdate: reg.lastUpdate,
    expiresAt: reg.expiresAt,
    links: encodeLinks(reg.objectLinks),
  };
  if (reg.sms !== undefined) out.sms = reg.sms;
  if (reg.identity) out.identity = identityToStored(reg.identity);
  return out;
}

export function fromStored(s: StoredRegistration): Registration {
  // Built field by field in the order the registration interface creates them: every
  // registration then has the same shape (hidden class), and no rest/spread copies at start.
  const reg: Registration = {
    id: s.id,
    endpoint: s.endpoint,
    lifetime: s.lifetime,
    lwm2mVersion: s.lwm2mVersion,
    binding: s.binding,
    queueMode: s.queueMode,
    rootPath: s.rootPath,
    supportedFormats: internFormats(s.supportedFormats),
    objectLinks: s.links !== undefined ? decodeLinks(s.links) : internObjectLinks(s.objectLinks ?? []),
    address: { address: s.address.address, port: s.address.port },
    transport: s.transport,
    registeredAt: s.registeredAt,
    lastUpdate: s.lastUpdate,
    expiresAt: s.expiresAt,
  };
  if (s.sms !== undefined) reg.sms = s.sms;
  if (s.identity) reg.identity = identityFromStored(s.identity);
  return reg;
}

/** Encoded texts of frozen (shared) link lists: an Update re-writes the same list every time. */
const encodedLinks = new WeakMap<readonly ObjectLink[], string>();

function encodeLinks(links: readonly ObjectLink[]): string {
  const known = encodedLinks.get(links);
  if (known !== undefined) return known;
  let out = '';
  for (const l of links) out += `${out === '' ? '' : ','}${l.path}${l.version !== undefined ? `;${l.version}` : ''}`;
  if (Object.isFrozen(links)) encodedLinks.set(links, out);
  return out;
}

/** The links of an encoded list, shared by every registration with the same list. */
function decodeLinks(text: string): ObjectLink[] {
  return linkLists.get(text, () => {
    const links: ObjectLink[] = [];
    for (const item of text === '' ? [] : text.split(',')) {
      const [path = '', version] = item.split(';');
      const [objectId, instanceId] = path.split('/').slice(1).map(Number);
      const link: ObjectLink = { path, objectId: objectId! };
      if (instanceId !== undefined) link.instanceId = instanceId;
      if (version !== undefined) link.version = version;
      links.push(Object.freeze(link));
    }
    return Object.freeze(links) as ObjectLink[];
  });
}

/*
 * Registrations loaded at start share their object links and format lists: a fleet runs a
 * handful of firmware images, and one copy per device of nine link objects is ~1 KB each
 * (the registration interface shares its parses the same way). Frozen: replace, never change.
 */
const linkLists = new InternTable<ObjectLink[]>();
const formatLists = new InternTable<number[]>();

function internObjectLinks(links: ObjectLink[]): ObjectLink[] {
  return linkLists.get(encodeLinks(links), () => Object.freeze(links.map((l) => Object.freeze({ ...l }))) as ObjectLink[]);
}

function internFormats(formats: number[]): number[] {
  return formatLists.get(formats.join(','), () => Object.freeze([...formats]) as number[]);
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
