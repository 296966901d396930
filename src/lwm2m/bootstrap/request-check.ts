/**
 * Checks of a Bootstrap-Request (LwM2M 1.1 Core §5.2.7.1, Transport §6.1): its query, and who
 * may bootstrap as which endpoint. Over DTLS the session's PSK identity, raw public key or
 * certificate must be the bootstrap credentials configured for the endpoint (Core §7.1: the
 * bootstrap server binds the credentials to the Endpoint Client Name).
 */
import { endpointNameProblem } from '../endpoint-name.js';
import { Lwm2mError } from '../../errors.js';
import { describePeerIdentity } from '../../security/registration-guard.js';
import type { PeerIdentity } from '../../transport/types.js';
import type { BootstrapConfig, BootstrapConfigStore } from './types.js';

export interface BootstrapQuery {
  endpoint?: string;
  pct?: number;
}

function bad(message: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_REQUEST', message);
}

/** `ep` and `pct` (1.1); other parameters are ignored, a repeated one is 4.00. */
export function parseBootstrapQuery(query: readonly string[]): BootstrapQuery {
  const seen = new Set<string>();
  const out: BootstrapQuery = {};
  for (const q of query) {
    const eq = q.indexOf('=');
    const name = eq < 0 ? q : q.slice(0, eq);
    const value = eq < 0 ? '' : q.slice(eq + 1);
    if (name !== 'ep' && name !== 'pct') continue;
    if (seen.has(name)) throw bad(`parameter ${name} given twice`);
    seen.add(name);
    if (name === 'ep') {
      const problem = endpointNameProblem(value);
      if (problem !== undefined) throw bad(`ep (the endpoint name) ${problem}`);
      out.endpoint = value;
    } else {
      if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw bad(`pct must be a Content-Format number, got "${value}"`);
      out.pct = Number(value);
    }
  }
  return out;
}

/** The endpoint a secured peer's credentials are bound to, for a request without `ep`. */
export function endpointOfIdentity(store: BootstrapConfigStore, identity: PeerIdentity | undefined): string | undefined {
  if (!identity) return undefined;
  if (identity.kind === 'psk') return store.endpointForPskIdentity(identity.identity);
  if (identity.kind === 'rpk') return store.endpointForPublicKey(identity.publicKey);
  return identity.commonName === '' ? undefined : identity.commonName;
}

/**
 * Refuses (4.03) a Bootstrap-Request whose transport or credentials do not fit the endpoint.
 * `own` is the endpoint's own configuration (not the default one).
 */
export function checkBootstrapIdentity(store: BootstrapConfigStore, endpoint: string, own: BootstrapConfig | undefined, transport: 'coap' | 'coaps', identity: PeerIdentity | undefined): void {
  const refuse = (reason: string): never => {
    throw new Lwm2mError('LWM2M_ERR_FORBIDDEN', reason);
  };
  const expected = own?.bootstrap?.security;
  if (!identity) {
    if (transport === 'coaps') refuse('secured transport without an authenticated identity');
    // An endpoint with bootstrap credentials must use them: plain CoAP would let anyone take its name.
    if (expected && expected.mode !== 'nosec') refuse(`endpoint "${endpoint}" has bootstrap credentials and must bootstrap over DTLS`);
    return;
  }
  const who = describePeerIdentity(identity);
  switch (identity.kind) {
    case 'psk':
    case 'rpk':
      if (endpointOfIdentity(store, identity) !== endpoint) refuse(`the DTLS credentials (${who}) are not the bootstrap credentials of endpoint "${endpoint}"`);
      return;
    case 'x509':
      if (expected && expected.mode !== 'x509') refuse(`endpoint "${endpoint}" must bootstrap with ${expected.mode}, not a certificate`);
      if (expected?.mode === 'x509' && expected.certificate.length > 0) {
        if (!Buffer.from(identity.certificate).equals(expected.certificate)) refuse(`the certificate (${who}) is not the one configured for endpoint "${endpoint}"`);
        return;
      }
      // A certificate chained to a trusted CA (checked by the DTLS layer) names its endpoint in the CN.
      if (identity.commonName !== endpoint) refuse(`the certificate (${who}) does not name endpoint "${endpoint}"`);
  }
}
