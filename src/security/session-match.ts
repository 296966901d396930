/**
 * Which DTLS sessions a set of credentials authenticated, so that removing (or replacing)
 * credentials can end those sessions at once instead of at their next Update.
 */
import type { PeerIdentity } from '../transport/types.js';
import { lookupKey } from './public-key.js';
import type { SecurityInfo } from './types.js';

/** Whether a session's identity was authenticated by these credentials. */
export function authenticatedBy(info: SecurityInfo, identity: PeerIdentity): boolean {
  switch (info.mode) {
    case 'psk':
      return identity.kind === 'psk' && identity.identity === info.identity;
    case 'rpk':
      return identity.kind === 'rpk' && lookupKey(identity.publicKey) === lookupKey(info.publicKey);
    case 'x509':
      return identity.kind === 'x509' && identity.commonName === info.endpoint;
  }
}

/** Same credentials (a re-add that changes nothing keeps the sessions). */
export function sameCredentials(a: SecurityInfo, b: SecurityInfo): boolean {
  if (a.endpoint !== b.endpoint || a.mode !== b.mode) return false;
  if (a.mode === 'psk' && b.mode === 'psk') return a.identity === b.identity && a.key.equals(b.key);
  if (a.mode === 'rpk' && b.mode === 'rpk') return a.publicKey.equals(b.publicKey);
  return true;
}
