/**
 * Provisioning in one step: a device's bootstrap configuration and, for the account that points
 * at this LwM2M server (`local: true`), the matching entry in our security store, so the device
 * registers over DTLS right after Bootstrap-Finish. Either both are written or neither.
 */
import { Lwm2mError } from '../../errors.js';
import { summarize } from '../../security/credential-input.js';
import type { SecurityInfo, SecurityStore, SecuritySummary } from '../../security/types.js';
import { summarizeConfig } from './config-json.js';
import { DEFAULT_CONFIG_ENDPOINT, type BootstrapConfig, type BootstrapConfigStore, type BootstrapConfigSummary } from './types.js';

/** What provisioning needs of the security store. */
export type SecurityWriter = Pick<SecurityStore, 'add' | 'remove' | 'get'>;

export interface ProvisionResult {
  config: BootstrapConfigSummary;
  replaced?: BootstrapConfigSummary;
  /** The security store entry written for the local server account. */
  security?: SecuritySummary;
}

/** The security-store entry for the config's local server account, if it has credentials. */
export function localSecurityInfo(c: BootstrapConfig): SecurityInfo | undefined {
  const local = c.servers.filter((s) => s.local === true && s.security.mode !== 'nosec');
  if (local.length === 0) return undefined;
  if (local.length > 1) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', 'at most one local server account may carry credentials (one security entry per endpoint)');
  if (c.endpoint === DEFAULT_CONFIG_ENDPOINT) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', 'the default configuration cannot carry per-device credentials for this server');
  const s = local[0]!.security;
  switch (s.mode) {
    case 'psk':
      return { endpoint: c.endpoint, mode: 'psk', identity: s.identity, key: s.key };
    case 'rpk':
      return { endpoint: c.endpoint, mode: 'rpk', publicKey: s.publicKey };
    case 'x509':
      return { endpoint: c.endpoint, mode: 'x509' };
    default:
      return undefined;
  }
}

export class BootstrapProvisioner {
  readonly #configs: BootstrapConfigStore;
  readonly #security: SecurityWriter | undefined;

  constructor(o: { configs: BootstrapConfigStore; security?: SecurityWriter }) {
    this.#configs = o.configs;
    this.#security = o.security;
  }

  get configs(): BootstrapConfigStore {
    return this.#configs;
  }

  async add(config: BootstrapConfig): Promise<ProvisionResult> {
    const info = localSecurityInfo(config);
    if (info && !this.#security) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', 'no security store: a local server account with credentials cannot be provisioned');
    const replaced = await this.#configs.add(config);
    const out: ProvisionResult = { config: summarizeConfig(config) };
    if (replaced) out.replaced = summarizeConfig(replaced);
    if (info && this.#security) {
      try {
        await this.#security.add(info);
      } catch (e) {
        // Undo the first half so the two stores never disagree.
        if (replaced) await this.#configs.add(replaced);
        else await this.#configs.remove(config.endpoint);
        throw e;
      }
      out.security = summarize(info);
    }
    return out;
  }

  /**
   * Removes the configuration; with `security`, also the security entry that provisioning wrote
   * (only when it still holds the credentials of the config's local account).
   */
  async remove(endpoint: string, opts: { security?: boolean } = {}): Promise<{ removed: BootstrapConfigSummary; security?: SecuritySummary } | undefined> {
    const gone = await this.#configs.remove(endpoint);
    if (!gone) return undefined;
    const out: { removed: BootstrapConfigSummary; security?: SecuritySummary } = { removed: summarizeConfig(gone) };
    const info = opts.security ? localSecurityInfo(gone) : undefined;
    if (info && this.#security) {
      const current = await this.#security.get(endpoint);
      if (current && sameCredentials(current, info)) {
        await this.#security.remove(endpoint);
        out.security = summarize(current);
      }
    }
    return out;
  }
}

function sameCredentials(a: SecurityInfo, b: SecurityInfo): boolean {
  if (a.mode === 'psk' && b.mode === 'psk') return a.identity === b.identity && a.key.equals(b.key);
  if (a.mode === 'rpk' && b.mode === 'rpk') return true;
  return a.mode === b.mode;
}
