import { createHash } from 'node:crypto';
import type { PeerIdentity } from '../transport/types.js';

/**
 * A stable string for a DTLS identity, used to bind a quarantine to credentials rather than a
 * name: `psk:<identity>`, `rpk:<sha-256 of the key, hex>`, `x509:<CN>`. Never key material.
 */
export function identityKey(i: PeerIdentity): string {
  switch (i.kind) {
    case 'psk':
      return `psk:${i.identity}`;
    case 'rpk':
      return `rpk:${createHash('sha256').update(i.publicKey).digest('hex')}`;
    case 'x509':
      return `x509:${i.commonName}`;
  }
}
