import { ManualClock } from '../../../src/clock.js';
import { CoapEndpoint } from '../../../src/coap/endpoint.js';
import type { CoapParameters } from '../../../src/coap/parameters.js';
import { FakeNetwork, RawPeer, seededRandom } from './fake-network.js';

/** A server endpoint and a scripted device on an in-memory network with a manual clock. */
export function harness(params: Partial<CoapParameters> = {}, random: () => number = seededRandom(7)) {
  const net = new FakeNetwork();
  const clock = new ManualClock(1_000_000);
  const transport = net.transport('192.0.2.1', 5683);
  const server = new CoapEndpoint({ transport, clock, random, params });
  const device = new RawPeer(net, '198.51.100.7', 56830);
  return { net, clock, server, device, serverAddr: transport.address() };
}

/** Advances the manual clock in steps, delivering datagrams after each step. */
export async function advance(net: FakeNetwork, clock: ManualClock, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await net.flush();
  }
}

/** Resolves to 'pending' if the promise has not settled after the network is flushed. */
export async function state<T>(p: Promise<T>, net: FakeNetwork): Promise<'pending' | 'resolved' | 'rejected'> {
  let s: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(
    () => (s = 'resolved'),
    () => (s = 'rejected'),
  );
  await net.flush();
  return s;
}
