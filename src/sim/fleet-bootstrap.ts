import { CoapEndpoint } from '../coap/endpoint.js';
import { isLwm2mError, Lwm2mError } from '../errors.js';
import type { ModelLookup } from '../model/types.js';
import type { PeerAddress } from '../transport/types.js';
import { UdpTransport } from '../transport/udp.js';
import { BootstrapClient } from './bootstrap-client.js';
import { formatHost, localAddressFor, parseServerUri, type ServerUri } from './server-uri.js';

/** What a device learnt from its bootstrap server: where to register, and how. */
export interface BootstrappedAccount {
  server: ServerUri;
  lifetime?: number;
  /** Security mode 0 (PSK), LwM2M 1.1 Core Object 0 resources 3 and 5. */
  psk?: { identity: string; key: Buffer };
}

/**
 * Client-initiated bootstrap (LwM2M 1.1 Core §6.1.3) for one fleet device, on a socket of its
 * own that closes afterwards, like a device that reboots into its new configuration: Bootstrap-
 * Request, the server's writes, Bootstrap-Finish; then the first LwM2M server account.
 */
export async function bootstrapDevice(o: { endpoint: string; bootstrapServer: PeerAddress; models: ModelLookup; host?: string; timeoutMs?: number }): Promise<BootstrappedAccount> {
  const transport = await UdpTransport.bind({ host: o.host ?? localAddressFor(o.bootstrapServer.address), port: 0 });
  const coap = new CoapEndpoint({ transport });
  try {
    const client = new BootstrapClient({
      endpoint: o.endpoint,
      coap,
      bootstrapServer: o.bootstrapServer,
      models: o.models,
      lwm2mVersion: '1.1',
      // An IPv6 literal is bracketed in a URI (RFC 3986 §3.2.2).
      bootstrapAccount: { instanceId: 0, uri: `coap://${formatHost(o.bootstrapServer.address)}:${o.bootstrapServer.port}` },
    });
    try {
      await client.bootstrap(o.timeoutMs ?? 10_000);
    } catch (e) {
      // Say which step failed: a timeout alone would read like the LwM2M server's.
      const where = `${formatHost(o.bootstrapServer.address)}:${o.bootstrapServer.port}`;
      throw new Lwm2mError(isLwm2mError(e) ? e.code : 'LWM2M_ERR_DEVICE_ERROR', `bootstrap with ${where} failed: ${(e as Error).message}`, { cause: e });
    }
    const account = client.accounts().find((a) => !a.bootstrap && a.uri !== '');
    if (!account) throw new Lwm2mError('LWM2M_ERR_DEVICE_ERROR', 'the bootstrap server gave no LwM2M server account');
    const server = parseServerUri(account.uri);
    const out: BootstrappedAccount = { server };
    if (account.lifetime !== undefined) out.lifetime = account.lifetime;
    if (server.scheme === 'coaps') {
      if (account.securityMode !== 0) throw new Lwm2mError('LWM2M_ERR_DEVICE_ERROR', `the delivered coaps account has security mode ${account.securityMode}; the simulator does PSK (0) only`);
      out.psk = { identity: account.publicKeyOrIdentity.toString('utf8'), key: account.secretKey };
    }
    return out;
  } finally {
    await coap.close();
  }
}
