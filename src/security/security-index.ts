import { Lwm2mError } from '../errors.js';
import { copyInfo, summarize } from './credential-input.js';
import { lookupKey } from './public-key.js';
import type { SecurityInfo, SecuritySummary } from './types.js';

/**
 * The in-memory view every SecurityStore keeps: credentials by endpoint, and endpoints by PSK
 * identity and by public key, so the DTLS handshake's lookups are O(1) and synchronous.
 * Entries must be normalised (credential-input.ts) before they get here.
 */
export class SecurityIndex {
  readonly #byEndpoint = new Map<string, SecurityInfo>();
  readonly #byIdentity = new Map<string, string>();
  readonly #byPublicKey = new Map<string, string>();

  get size(): number {
    return this.#byEndpoint.size;
  }

  /** Throws (and changes nothing) when the identity or key is bound to another endpoint. */
  put(info: SecurityInfo): SecurityInfo | undefined {
    this.#checkConflict(info);
    const previous = this.delete(info.endpoint);
    this.#byEndpoint.set(info.endpoint, info);
    if (info.mode === 'psk') this.#byIdentity.set(info.identity, info.endpoint);
    if (info.mode === 'rpk') this.#byPublicKey.set(lookupKey(info.publicKey), info.endpoint);
    return previous;
  }

  delete(endpoint: string): SecurityInfo | undefined {
    const gone = this.#byEndpoint.get(endpoint);
    if (!gone) return undefined;
    this.#byEndpoint.delete(endpoint);
    if (gone.mode === 'psk') this.#byIdentity.delete(gone.identity);
    if (gone.mode === 'rpk') this.#byPublicKey.delete(lookupKey(gone.publicKey));
    return gone;
  }

  get(endpoint: string): SecurityInfo | undefined {
    const info = this.#byEndpoint.get(endpoint);
    return info && copyInfo(info);
  }

  has(endpoint: string): boolean {
    return this.#byEndpoint.has(endpoint);
  }

  pskKeyFor(identity: string): Buffer | undefined {
    const ep = this.#byIdentity.get(identity);
    const info = ep === undefined ? undefined : this.#byEndpoint.get(ep);
    return info?.mode === 'psk' ? Buffer.from(info.key) : undefined;
  }

  endpointForPskIdentity(identity: string): string | undefined {
    return this.#byIdentity.get(identity);
  }

  endpointForPublicKey(publicKey: Uint8Array): string | undefined {
    return this.#byPublicKey.get(lookupKey(publicKey));
  }

  summaries(): SecuritySummary[] {
    return [...this.#byEndpoint.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0)).map(summarize);
  }

  #checkConflict(info: SecurityInfo): void {
    if (info.mode === 'psk') {
      const owner = this.#byIdentity.get(info.identity);
      if (owner !== undefined && owner !== info.endpoint) {
        throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `PSK identity "${info.identity}" already belongs to endpoint "${owner}"`);
      }
    }
    if (info.mode === 'rpk') {
      const owner = this.#byPublicKey.get(lookupKey(info.publicKey));
      if (owner !== undefined && owner !== info.endpoint) {
        throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `this public key already belongs to endpoint "${owner}"`);
      }
    }
  }
}
