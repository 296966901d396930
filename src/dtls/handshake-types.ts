/** The contract between one server handshake and the engine that runs it. */
import type { Clock } from '../clock.js';
import type { PeerIdentity } from '../transport/types.js';
import type { ServerCredentials } from './certificates.js';
import type { CipherSuite } from './cipher-suites.js';
import type { RecordReader, RecordWriter } from './connection-state.js';
import type { FlightItem } from './flight.js';
import type { NegotiationPolicy } from './negotiation.js';
import type { ReassemblyLimits } from './reassembler.js';
import type { SessionCache } from './session-cache.js';

export interface HandshakeConfig {
  clock: Clock;
  psk: (identity: string) => Buffer | undefined;
  pskIdentityHint: Buffer;
  /** Certificate material for ECDHE_ECDSA; absent = PSK only. */
  credentials: ServerCredentials | undefined;
  sessionCache: SessionCache;
  policy: NegotiationPolicy;
  mtu: number;
  reassembly: ReassemblyLimits;
  /** Length of the CIDs we hand out; 0 disables RFC 9146. */
  cidLength: number;
  retransmitInitialMs: number;
  retransmitMaxMs: number;
}

export interface HandshakeResult {
  suite: CipherSuite;
  identity: PeerIdentity;
  clientRandom: Buffer;
  writer: RecordWriter;
  reader: RecordReader;
  /** Our last flight, kept to answer a retransmitted client Finished (RFC 6347 §4.2.4). */
  finalFlight: FlightItem[] | undefined;
  maxPlaintext: number;
  resumed: boolean;
}

export interface HandshakeEvents {
  send(datagram: Buffer): void;
  complete(result: HandshakeResult): void;
  fail(reason: string): void;
}

/** Ends a handshake with a fatal alert (RFC 5246 §7.2.2). */
export class HandshakeAbort extends Error {
  constructor(
    message: string,
    readonly alert: number,
  ) {
    super(message);
  }
}

