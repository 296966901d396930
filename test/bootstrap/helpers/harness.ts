/**
 * A bootstrap server on 127.0.0.1 (ephemeral ports) with an in-memory config store, and
 * bootstrap test clients on their own sockets.
 */
import { CoapEndpoint } from '../../../src/coap/endpoint.js';
import type { Logger } from '../../../src/log.js';
import { BootstrapService } from '../../../src/lwm2m/bootstrap/bootstrap-service.js';
import { startBootstrapListeners, type BootstrapListeners } from '../../../src/lwm2m/bootstrap/listeners.js';
import type { BootstrapConfigStore, BootstrapEvent } from '../../../src/lwm2m/bootstrap/types.js';
import { ModelRegistry } from '../../../src/model/registry.js';
import { BootstrapClient, type BootstrapClientOptions } from '../../../src/sim/bootstrap-client.js';
import { MemoryBootstrapConfigStore } from '../../../src/store/bootstrap-config-memory.js';
import { UdpTransport } from '../../../src/transport/udp.js';
import type { PeerAddress } from '../../../src/transport/types.js';

let models: ModelRegistry | undefined;
export async function builtinModels(): Promise<ModelRegistry> {
  return (models ??= await ModelRegistry.builtin());
}

export interface BootstrapHarness {
  configs: BootstrapConfigStore;
  service: BootstrapService;
  listeners: BootstrapListeners;
  events: BootstrapEvent[];
  coapUri: string;
  close(): Promise<void>;
}

export async function startBootstrap(o: { securePort?: number; requestTimeoutMs?: number; configs?: BootstrapConfigStore; logger?: Logger } = {}): Promise<BootstrapHarness> {
  const configs = o.configs ?? new MemoryBootstrapConfigStore();
  const events: BootstrapEvent[] = [];
  const service = new BootstrapService({ configs, models: await builtinModels(), emit: (e) => events.push(e), requestTimeoutMs: o.requestTimeoutMs ?? 5000, ...(o.logger ? { logger: o.logger } : {}) });
  const listeners = await startBootstrapListeners({ service, configs, host: '127.0.0.1', port: 0, ...(o.securePort === undefined ? {} : { securePort: o.securePort }), ...(o.logger ? { logger: o.logger } : {}) });
  return {
    configs,
    service,
    listeners,
    events,
    coapUri: `coap://127.0.0.1:${listeners.coapAddress().port}`,
    close: () => listeners.close(),
  };
}

export async function udpEndpoint(): Promise<CoapEndpoint> {
  return new CoapEndpoint({ transport: await UdpTransport.bind({ host: '127.0.0.1', port: 0 }) });
}

/** A client on its own UDP socket that knows only the bootstrap server at `bs`. */
export async function plainClient(bs: PeerAddress, o: Partial<BootstrapClientOptions> & { endpoint: string }): Promise<{ client: BootstrapClient; coap: CoapEndpoint }> {
  const coap = o.coap ?? (await udpEndpoint());
  const client = new BootstrapClient({
    coap,
    bootstrapServer: bs,
    models: await builtinModels(),
    lwm2mVersion: '1.1',
    bootstrapAccount: { instanceId: 0, uri: `coap://127.0.0.1:${bs.port}` },
    ...o,
  });
  return { client, coap };
}

/** "coap://127.0.0.1:5683" -> { address, port }. */
export function peerOfUri(uri: string): PeerAddress {
  const u = new URL(uri);
  return { address: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls (bounded) until `check` holds. */
export async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(10);
  }
  return true;
}
