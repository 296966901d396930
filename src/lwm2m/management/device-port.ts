import type { IncomingResponse, NotificationHandler, Observation, OutgoingRequest } from '../../coap/types.js';
import type { PeerAddress } from '../../transport/types.js';

/** What device management needs from the CoAP exchange layer (CoapEndpoint implements it). */
export interface DevicePort {
  request(peer: PeerAddress, req: OutgoingRequest): Promise<IncomingResponse>;
  observe(peer: PeerAddress, req: OutgoingRequest, onNotification: NotificationHandler): Promise<Observation>;
  attachObservation(peer: PeerAddress, token: Buffer, onNotification: NotificationHandler, req?: OutgoingRequest | (() => OutgoingRequest)): void;
  detachObservation(peer: PeerAddress, token: Buffer): boolean;
  cancelObservation(peer: PeerAddress, token: Buffer, mode?: 'active' | 'passive', req?: OutgoingRequest): Promise<void>;
}
