import { ManualClock } from '../../src/clock.js';
import { CoapEndpoint } from '../../src/coap/endpoint.js';
import type { IncomingRequest, OutgoingResponse } from '../../src/coap/types.js';
import { UdpTransport } from '../../src/transport/udp.js';
import { SimulatedDevice, type SimulatedDeviceOptions } from '../../src/sim/simulated-device.js';
import { sharedModels } from '../helpers/management.js';

/**
 * A bare CoAP endpoint playing the LwM2M server on a real socket: it answers Register with
 * 2.01 rd/<n>, Update with 2.04, De-register with 2.02, Send with 2.04, and records them.
 */
export async function rawServer() {
  const transport = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
  const coap = new CoapEndpoint({ transport });
  const received: IncomingRequest[] = [];
  let n = 0;
  let override: ((req: IncomingRequest) => OutgoingResponse | undefined) | undefined;
  coap.onRequest((req) => {
    received.push(req);
    const o = override?.(req);
    if (o) return o;
    if (req.method === 'POST' && req.path.length === 1 && req.path[0] === 'rd') return { code: '2.01', locationPath: ['rd', `r${++n}`] };
    if (req.method === 'POST' && req.path[0] === 'rd') return { code: '2.04' };
    if (req.method === 'DELETE' && req.path[0] === 'rd') return { code: '2.02' };
    if (req.method === 'POST' && req.path[0] === 'dp') return { code: '2.04' };
    return { code: '4.04' };
  });
  return {
    coap,
    received,
    address: () => transport.address(),
    answer(fn: (req: IncomingRequest) => OutgoingResponse | undefined) {
      override = fn;
    },
    close: () => coap.close(),
  };
}

export type RawServer = Awaited<ReturnType<typeof rawServer>>;

/** A server endpoint and one registered device (manual clock unless given). */
export async function deviceWithServer(o: Partial<Omit<SimulatedDeviceOptions, 'server' | 'models'>> = {}) {
  const server = await rawServer();
  const clock = o.clock ?? new ManualClock(Date.now());
  const device = await SimulatedDevice.start({ endpoint: 'sim-unit', ...o, clock, server: server.address(), models: await sharedModels() });
  const peer = device.address();
  return {
    server,
    device,
    clock: clock as ManualClock,
    peer,
    request: (req: Parameters<CoapEndpoint['request']>[1]) => server.coap.request(peer, { timeoutMs: 5000, ...req }),
    async close() {
      await device.close();
      await server.close();
    },
  };
}

export const waitFor = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};
