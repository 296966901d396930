/** Comparing and describing authenticated peer identities without exposing key material. */
import { createHash } from 'node:crypto';
import type { PeerIdentity } from '../transport/types.js';

export function sameIdentity(a: PeerIdentity, b: PeerIdentity): boolean {
  if (a.kind === 'psk' && b.kind === 'psk') return a.identity === b.identity;
  if (a.kind === 'rpk' && b.kind === 'rpk') return Buffer.from(a.publicKey).equals(b.publicKey);
  if (a.kind === 'x509' && b.kind === 'x509') return Buffer.from(a.certificate).equals(b.certificate);
  return false;
}

/** For logs: the PSK identity, the certificate CN, or a short fingerprint of a raw key. */
export function describeIdentity(i: PeerIdentity): string {
  if (i.kind === 'psk') return i.identity;
  if (i.kind === 'x509') return `x509:${i.commonName}`;
  return `rpk:${createHash('sha256').update(i.publicKey).digest('hex').slice(0, 16)}`;
}

