import type { PeerIdentity } from '../transport/types.js';
import type { Registration } from './types.js';

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
  if (!identity) return rest;
  return { ...rest, identity: identityFromStored(identity) };
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
