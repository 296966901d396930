/**
 * The bootstrap server's own sockets: CoAP (default 127.0.0.1:5685) and, when DTLS is
 * configured, CoAPs (default 5686), each with its own CoAP endpoint so bootstrap traffic never
 * mixes with the LwM2M server's message IDs and tokens. Over DTLS the handshake looks PSKs up
 * in the bootstrap configurations (the bootstrap account's credentials), not in the security
 * store of the LwM2M server.
 */
import type { Clock } from '../../clock.js';
import { CoapEndpoint } from '../../coap/endpoint.js';
import type { CertificateOptions } from '../../dtls/certificates.js';
import { DtlsServerTransport } from '../../dtls/dtls-server-transport.js';
import { silentLogger, type Logger } from '../../log.js';
import { UdpTransport } from '../../transport/udp.js';
import type { PeerAddress, Transport } from '../../transport/types.js';
import { routeRequests, type Route } from '../router.js';
import type { BootstrapService } from './bootstrap-service.js';
import type { BootstrapConfigStore } from './types.js';

export interface BootstrapListenerOptions {
  service: BootstrapService;
  configs: BootstrapConfigStore;
  host: string;
  /** CoAP port; 0 = any free port. */
  port: number;
  /** CoAPs port; absent = no DTLS listener. */
  securePort?: number;
  /** Server certificate / raw public key for RPK and X.509 bootstrap (see src/dtls). */
  certificate?: CertificateOptions;
  clock?: Clock;
  logger?: Logger;
  /** A route run before the bootstrap route (quarantine and rate limits). */
  gate?: Route;
}

export interface BootstrapListeners {
  coap: CoapEndpoint;
  coaps?: CoapEndpoint;
  coapAddress(): PeerAddress;
  coapsAddress(): PeerAddress | undefined;
  close(): Promise<void>;
}

function endpointOn(transport: Transport, o: BootstrapListenerOptions): CoapEndpoint {
  const log = (o.logger ?? silentLogger()).child({ component: 'bootstrap-coap', scheme: transport.scheme });
  const coap = new CoapEndpoint({ transport, logger: log, ...(o.clock ? { clock: o.clock } : {}) });
  coap.onRequest(routeRequests(o.gate ? [o.gate, o.service.route(coap)] : [o.service.route(coap)]));
  return coap;
}

export async function startBootstrapListeners(o: BootstrapListenerOptions): Promise<BootstrapListeners> {
  const udp = await UdpTransport.bind({ host: o.host, port: o.port, listener: 'bootstrap (CoAP)', ...(o.logger ? { logger: o.logger } : {}) });
  const coap = endpointOn(udp, o);
  let coaps: CoapEndpoint | undefined;
  let dtls: DtlsServerTransport | undefined;
  try {
    if (o.securePort !== undefined) {
      dtls = await DtlsServerTransport.bind({
        host: o.host,
        port: o.securePort,
        listener: 'bootstrap (CoAPs, DTLS)',
        psk: (identity) => o.configs.pskKeyFor(identity),
        ...(o.certificate ? { certificate: o.certificate } : {}),
        ...(o.clock ? { clock: o.clock } : {}),
        ...(o.logger ? { logger: o.logger } : {}),
      });
      coaps = endpointOn(dtls, o);
    }
  } catch (e) {
    await coap.close();
    throw e;
  }
  const out: BootstrapListeners = {
    coap,
    coapAddress: () => udp.address(),
    coapsAddress: () => dtls?.address(),
    // Sessions are cancelled first, so closing the endpoints under them ends them as "cancelled".
    close: async () => {
      o.service.shutdown();
      await coap.close();
      await coaps?.close();
      await o.service.idle();
    },
  };
  if (coaps) out.coaps = coaps;
  return out;
}
