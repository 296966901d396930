import type { PeerAddress, PeerIdentity } from '../transport/types.js';

export type CoapMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'FETCH' | 'PATCH' | 'iPATCH';

/** A request a peer sent us, reassembled if it came block-wise (RFC 7959 Block1). */
export interface IncomingRequest {
  method: CoapMethod;
  path: string[];
  query: string[];
  contentFormat?: number;
  accept?: number;
  observe?: number;
  payload: Buffer;
  peer: PeerAddress;
  identity?: PeerIdentity;
  sessionKey?: string;
  confirmable: boolean;
  token: Buffer;
}

/** What a request handler answers. Payloads larger than the block size go out block-wise. */
export interface OutgoingResponse {
  /** "2.05" */
  code: string;
  contentFormat?: number;
  payload?: Buffer;
  locationPath?: string[];
  observe?: number;
}

/** A request we send to a peer. */
export interface OutgoingRequest {
  method: CoapMethod;
  path: string[];
  query?: string[];
  contentFormat?: number;
  accept?: number;
  observe?: 0 | 1;
  payload?: Buffer;
  /** Default true. */
  confirmable?: boolean;
  /** Deadline from the call to the (whole, reassembled) response; default REQUEST_TIMEOUT. */
  timeoutMs?: number;
}

/** A response or notification from a peer, reassembled if it came block-wise (RFC 7959 Block2). */
export interface IncomingResponse {
  code: string;
  contentFormat?: number;
  payload: Buffer;
  observe?: number;
  locationPath: string[];
  peer: PeerAddress;
  token: Buffer;
  confirmable: boolean;
}

export type RequestHandler = (req: IncomingRequest) => Promise<OutgoingResponse> | OutgoingResponse;
export type NotificationHandler = (res: IncomingResponse) => void;
/** Return true to accept (ACK) a notification with an unknown token; false means RST. */
export type OrphanHandler = (res: IncomingResponse) => boolean;

export interface Observation {
  response: IncomingResponse;
  token: Buffer;
  /** 'active' (default): GET with Observe=1 (RFC 7641 §3.6); 'passive': forget, RST the next one. */
  cancel(mode?: 'active' | 'passive'): Promise<void>;
}

/** Event counters of an endpoint. */
export interface CoapCounters {
  datagramsIn: number;
  datagramsOut: number;
  malformed: number;
  duplicates: number;
  retransmissions: number;
  timeouts: number;
  resetsSent: number;
  resetsReceived: number;
  requestsIn: number;
  requestsOut: number;
  responsesIn: number;
  notifications: number;
  staleNotifications: number;
  orphanNotifications: number;
  badOption: number;
  handlerErrors: number;
  internalErrors: number;
}

/** Counters plus gauges, as `CoapEndpoint.stats()` returns them. */
export interface CoapStats extends CoapCounters {
  /** Gauges. */
  outstandingExchanges: number;
  queuedRequests: number;
  pendingCon: number;
  dedupEntries: number;
  observations: number;
  blockTransfers: number;
  peers: number;
}
