import type { CoapEndpoint } from './coap/endpoint.js';
import type { IncomingResponse, NotificationHandler, Observation, OutgoingRequest } from './coap/types.js';
import type { EventBus } from './events.js';
import type { DevicePort } from './lwm2m/management/device-port.js';
import type { RegistrationStore } from './store/types.js';
import { peerKey, samePeer, type PeerAddress } from './transport/types.js';

/**
 * Sends each request to a device through the listener it registered on: CoAPs devices only over
 * their DTLS session, never in the clear. The transport of every registered address is kept in
 * a map (loaded at start, then kept current from registration events), so the choice is
 * synchronous also for attach/detach.
 */
export class DeviceRouter implements DevicePort {
  readonly #coap: CoapEndpoint;
  readonly #coaps: CoapEndpoint | undefined;
  readonly #secured = new Set<string>();

  constructor(coap: CoapEndpoint, coaps: CoapEndpoint | undefined) {
    this.#coap = coap;
    this.#coaps = coaps;
  }

  async load(store: RegistrationStore, events: EventBus): Promise<void> {
    for (const r of store.values()) if (r.transport === 'coaps') this.#secured.add(peerKey(r.address));
    events.on('registered', ({ registration: r, replaced }) => {
      if (replaced) this.#secured.delete(peerKey(replaced.address));
      if (r.transport === 'coaps') this.#secured.add(peerKey(r.address));
    });
    events.on('updated', ({ registration: r, previous }) => {
      // An Update keeps the transport of its Register; only a secured one that moved changes the set.
      if (r.transport !== 'coaps' || samePeer(r.address, previous.address)) return;
      this.#secured.delete(peerKey(previous.address));
      this.#secured.add(peerKey(r.address));
    });
    for (const name of ['deregistered', 'expired'] as const) events.on(name, ({ registration: r }) => this.#secured.delete(peerKey(r.address)));
  }

  #for(peer: PeerAddress): CoapEndpoint {
    if (!this.#secured.has(peerKey(peer))) return this.#coap;
    // A device registered over DTLS while this server has no DTLS listener cannot be reached.
    return this.#coaps ?? this.#coap;
  }

  request(peer: PeerAddress, req: OutgoingRequest): Promise<IncomingResponse> {
    return this.#for(peer).request(peer, req);
  }

  observe(peer: PeerAddress, req: OutgoingRequest, onNotification: NotificationHandler): Promise<Observation> {
    return this.#for(peer).observe(peer, req, onNotification);
  }

  attachObservation(peer: PeerAddress, token: Buffer, onNotification: NotificationHandler, req?: OutgoingRequest | (() => OutgoingRequest)): void {
    this.#for(peer).attachObservation(peer, token, onNotification, req);
  }

  detachObservation(peer: PeerAddress, token: Buffer): boolean {
    return this.#for(peer).detachObservation(peer, token);
  }

  cancelObservation(peer: PeerAddress, token: Buffer, mode?: 'active' | 'passive', req?: OutgoingRequest): Promise<void> {
    return this.#for(peer).cancelObservation(peer, token, mode, req);
  }
}
