import type { InboundDatagram, PeerAddress, Transport } from '../transport/types.js';

/**
 * A transport with an on/off switch, like the radio of a queue-mode device (LwM2M 1.1
 * Transport, "Queue Mode Operation"): while it is off, datagrams that arrive are dropped, as a
 * sleeping device never hears them. Counts what it dropped.
 */
export class Radio implements Transport {
  readonly #inner: Transport;
  #on = true;
  #handler: ((d: InboundDatagram) => void) | undefined;
  dropped = 0;

  constructor(inner: Transport) {
    this.#inner = inner;
    inner.onDatagram((d) => {
      if (!this.#on) {
        this.dropped++;
        return;
      }
      this.#handler?.(d);
    });
  }

  get scheme(): 'coap' | 'coaps' {
    return this.#inner.scheme;
  }

  get on(): boolean {
    return this.#on;
  }

  set on(value: boolean) {
    this.#on = value;
  }

  send(data: Buffer, peer: PeerAddress): void {
    this.#inner.send(data, peer);
  }

  onDatagram(handler: (d: InboundDatagram) => void): void {
    this.#handler = handler;
  }

  address(): PeerAddress {
    return this.#inner.address();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
