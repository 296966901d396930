/**
 * Who may register as which endpoint (LwM2M 1.1 Core §7.1 and Transport §5.2: the server
 * binds the security credentials that authenticated a DTLS session to one endpoint).
 */
import { Lwm2mError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { RegistrationGuard } from '../lwm2m/registration/registration-service.js';
import type { PeerIdentity } from '../transport/types.js';
import { fingerprint } from './public-key.js';
import type { SecurityStore } from './types.js';

export interface RegistrationGuardOptions {
  logger?: Logger;
  /**
   * Accept a certificate chained to a trusted CA whose CN is an endpoint without stored
   * credentials (fleets with CA-issued certificates). Off by default: every endpoint must be
   * provisioned with `lwm2m security add <ep> --x509`.
   */
  allowUnprovisionedX509?: boolean;
}

/** For log lines and error messages: never key material, only the identity or a fingerprint. */
export function describePeerIdentity(i: PeerIdentity): string {
  if (i.kind === 'psk') return `psk:${i.identity}`;
  if (i.kind === 'x509') return `x509:CN=${i.commonName}`;
  return `rpk:${fingerprint(i.publicKey)}`;
}

/** Refuses (4.03) a Register or Update that the credentials of the session do not allow. */
export function securityRegistrationGuard(store: SecurityStore, o: RegistrationGuardOptions = {}): RegistrationGuard {
  const log = o.logger ?? silentLogger();
  const refuse = (endpoint: string, transport: string, identity: PeerIdentity | undefined, reason: string): never => {
    log.warn({ endpoint, transport, identity: identity && describePeerIdentity(identity), reason }, 'registration refused');
    throw new Lwm2mError('LWM2M_ERR_FORBIDDEN', reason);
  };

  // Answers at once except for a certificate, whose endpoint's record is read from the store.
  return ({ endpoint, transport, identity }) => {
    if (!identity) {
      if (transport === 'coaps') refuse(endpoint, transport, identity, 'secured transport without an authenticated identity');
      // An endpoint with credentials must use them: plain CoAP would let anyone take its name.
      if (store.hasCredentials(endpoint)) refuse(endpoint, transport, identity, `endpoint "${endpoint}" has credentials and must register over DTLS`);
      return;
    }
    const check = (bound: string | undefined): void => {
      if (bound !== endpoint) refuse(endpoint, transport, identity, `the DTLS credentials (${describePeerIdentity(identity)}) are not bound to endpoint "${endpoint}"`);
    };
    if (identity.kind === 'psk') return check(store.endpointForPskIdentity(identity.identity));
    if (identity.kind === 'rpk') return check(store.endpointForPublicKey(identity.publicKey));
    return certificateEndpoint(store, identity.commonName, o.allowUnprovisionedX509 ?? false).then(check);
  };
}

/** The DTLS layer has validated the chain against the trusted CAs; the CN names the endpoint. */
async function certificateEndpoint(store: SecurityStore, cn: string, allowUnprovisioned: boolean): Promise<string | undefined> {
  if (cn === '') return undefined;
  const info = await store.get(cn);
  if (!info) return allowUnprovisioned ? cn : undefined;
  // An endpoint provisioned for PSK or RPK may not switch to a certificate on its own.
  return info.mode === 'x509' ? cn : undefined;
}
