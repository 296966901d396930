import { Lwm2mError } from '../errors.js';
import { copyConfig, summarizeConfig } from '../lwm2m/bootstrap/config-json.js';
import { DEFAULT_CONFIG_ENDPOINT, type BootstrapConfig, type BootstrapConfigSummary } from '../lwm2m/bootstrap/types.js';
import { lookupKey } from '../security/public-key.js';

/**
 * Bootstrap configurations in memory, with the indexes the DTLS handshake of the bootstrap
 * listener needs synchronously (RFC 4279 §2: the PSK is looked up mid-flight): bootstrap PSK
 * identity -> endpoint, bootstrap public key -> endpoint. Both memory and LevelDB stores keep
 * one of these in front.
 */
export class BootstrapConfigIndex {
  readonly #configs = new Map<string, BootstrapConfig>();
  readonly #byIdentity = new Map<string, string>();
  readonly #byKey = new Map<string, string>();

  get size(): number {
    return this.#configs.size;
  }

  /** Replaces the endpoint's configuration; refuses credentials bound to another endpoint. */
  put(config: BootstrapConfig): BootstrapConfig | undefined {
    const c = copyConfig(config);
    const { identity, key } = credentialKeys(c);
    const idOwner = identity === undefined ? undefined : this.#byIdentity.get(identity);
    if (idOwner !== undefined && idOwner !== c.endpoint) {
      throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `bootstrap PSK identity "${identity}" already belongs to endpoint "${idOwner}"`);
    }
    const keyOwner = key === undefined ? undefined : this.#byKey.get(key);
    if (keyOwner !== undefined && keyOwner !== c.endpoint) {
      throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `bootstrap public key already belongs to endpoint "${keyOwner}"`);
    }
    const previous = this.delete(c.endpoint);
    this.#configs.set(c.endpoint, c);
    if (identity !== undefined) this.#byIdentity.set(identity, c.endpoint);
    if (key !== undefined) this.#byKey.set(key, c.endpoint);
    return previous;
  }

  delete(endpoint: string): BootstrapConfig | undefined {
    const gone = this.#configs.get(endpoint);
    if (!gone) return undefined;
    this.#configs.delete(endpoint);
    const { identity, key } = credentialKeys(gone);
    if (identity !== undefined && this.#byIdentity.get(identity) === endpoint) this.#byIdentity.delete(identity);
    if (key !== undefined && this.#byKey.get(key) === endpoint) this.#byKey.delete(key);
    return gone;
  }

  /** A copy: callers never hold the stored key buffers. */
  get(endpoint: string): BootstrapConfig | undefined {
    const c = this.#configs.get(endpoint);
    return c && copyConfig(c);
  }

  has(endpoint: string): boolean {
    return this.#configs.has(endpoint);
  }

  resolve(endpoint: string): BootstrapConfig | undefined {
    return this.get(endpoint) ?? this.get(DEFAULT_CONFIG_ENDPOINT);
  }

  summaries(): BootstrapConfigSummary[] {
    // "*" sorts before every letter and digit, so the default configuration comes first.
    return [...this.#configs.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0)).map(summarizeConfig);
  }

  pskKeyFor(identity: string): Buffer | undefined {
    const ep = this.#byIdentity.get(identity);
    const sec = ep === undefined ? undefined : this.#configs.get(ep)?.bootstrap?.security;
    return sec?.mode === 'psk' ? Buffer.from(sec.key) : undefined;
  }

  endpointForPskIdentity(identity: string): string | undefined {
    return this.#byIdentity.get(identity);
  }

  endpointForPublicKey(publicKey: Uint8Array): string | undefined {
    return this.#byKey.get(lookupKey(publicKey));
  }
}

function credentialKeys(c: BootstrapConfig): { identity?: string; key?: string } {
  const s = c.bootstrap?.security;
  if (s?.mode === 'psk') return { identity: s.identity };
  if (s?.mode === 'rpk' && s.publicKey.length > 0) return { key: lookupKey(s.publicKey) };
  return {};
}
