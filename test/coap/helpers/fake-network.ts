import { generate, parse, type Packet, type ParsedPacket } from 'coap-packet';
import type { InboundDatagram, PeerAddress, Transport } from '../../../src/transport/types.js';
import { peerKey } from '../../../src/transport/types.js';

interface InFlight {
  data: Buffer;
  from: PeerAddress;
  to: PeerAddress;
}

/**
 * An in-memory datagram network for deterministic tests: `send` queues, `flush()` delivers
 * everything (including what handlers send in reply) with microtasks drained in between.
 * `drop` lets a test lose datagrams on purpose.
 */
export class FakeNetwork {
  readonly #nodes = new Map<string, FakeTransport>();
  readonly #queue: InFlight[] = [];
  /** Every datagram sent, in order. */
  readonly log: InFlight[] = [];
  drop: ((d: InFlight) => boolean) | undefined;
  #nextPort = 40000;

  transport(address = '10.0.0.1', port = this.#nextPort++): FakeTransport {
    const t = new FakeTransport(this, { address, port });
    this.#nodes.set(peerKey(t.address()), t);
    return t;
  }

  enqueue(d: InFlight): void {
    this.log.push(d);
    if (this.drop?.(d)) return;
    this.#queue.push(d);
  }

  /** Delivers queued datagrams until the network is quiet. */
  async flush(): Promise<void> {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      await drainMicrotasks();
      const d = this.#queue.shift();
      if (d === undefined) {
        await drainMicrotasks();
        if (this.#queue.length === 0) return;
        continue;
      }
      this.#nodes.get(peerKey(d.to))?.deliver({ data: d.data, peer: d.from });
    }
    throw new Error('network did not settle');
  }
}

export async function drainMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export class FakeTransport implements Transport {
  readonly scheme = 'coap' as const;
  #handler: ((d: InboundDatagram) => void) | undefined;
  closed = false;
  constructor(readonly net: FakeNetwork, readonly addr: PeerAddress) {}
  send(data: Buffer, peer: PeerAddress): void {
    if (!this.closed) this.net.enqueue({ data: Buffer.from(data), from: this.addr, to: peer });
  }
  onDatagram(handler: (d: InboundDatagram) => void): void {
    this.#handler = handler;
  }
  deliver(d: InboundDatagram): void {
    if (!this.closed) this.#handler?.(d);
  }
  address(): PeerAddress {
    return this.addr;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * A scripted device: receives parsed packets into `inbox` and sends hand-built ones, so tests
 * control every byte the "device" puts on the wire.
 */
export class RawPeer {
  readonly transport: FakeTransport;
  readonly inbox: ParsedPacket[] = [];
  onPacket: ((p: ParsedPacket) => void) | undefined;
  constructor(net: FakeNetwork, address?: string, port?: number) {
    this.transport = net.transport(address, port);
    this.transport.onDatagram((d) => {
      const p = parse(d.data);
      this.inbox.push(p);
      this.onPacket?.(p);
    });
  }
  get address(): PeerAddress {
    return this.transport.address();
  }
  send(to: PeerAddress, packet: Packet): void {
    this.transport.send(generate(packet), to);
  }
  sendRaw(to: PeerAddress, data: Buffer): void {
    this.transport.send(data, to);
  }
  take(): ParsedPacket[] {
    return this.inbox.splice(0);
  }
}

export function opt(packet: ParsedPacket, name: string): Buffer | undefined {
  return packet.options.find((o) => o.name === name)?.value;
}

export function opts(packet: ParsedPacket, name: string): string[] {
  return packet.options.filter((o) => o.name === name).map((o) => o.value.toString());
}

export function uintOf(b: Buffer | undefined): number | undefined {
  if (b === undefined) return undefined;
  let n = 0;
  for (const x of b) n = n * 256 + x;
  return n;
}

export function uintBuf(n: number): Buffer {
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from(out);
}

export { seededRandom } from '../../helpers/prng.js';
