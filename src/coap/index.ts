/**
 * CoAP (RFC 7252) with Observe (RFC 7641) and block-wise transfers (RFC 7959) on `coap-packet`
 * for the wire format. Layers: codec (validated decode/encode) -> MessageLayer (MIDs, CON
 * retransmission on one shared Scheduler, ACK/RST matching) + DedupCache -> Requester /
 * Observer (client side: tokens per peer, NSTART, Block1/Block2, observations) and Responder
 * (server side: handler, piggybacked/separate responses, Block1 reassembly, Block2 serving),
 * tied together by CoapEndpoint.
 */
export { CoapEndpoint, type CoapEndpointOptions } from './endpoint.js';
export { resolveParameters, type CoapParameters } from './parameters.js';
export { isFresher } from './observer.js';
export type {
  CoapMethod,
  CoapStats,
  IncomingRequest,
  IncomingResponse,
  NotificationHandler,
  Observation,
  OrphanHandler,
  OutgoingRequest,
  OutgoingResponse,
  RequestHandler,
} from './types.js';
