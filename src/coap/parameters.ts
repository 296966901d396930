/**
 * CoAP transmission parameters, RFC 7252 §4.8 and §4.8.2. The first six are the base values
 * (§4.8); the rest are derived from them with the formulas of §4.8.2, so changing a base value
 * through `resolveParameters` keeps the derived ones consistent unless they are overridden too.
 */
export interface CoapParameters {
  /** §4.8: initial retransmission timeout, ms (2 s). */
  ACK_TIMEOUT: number;
  /** §4.8: the initial timeout is random in [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR] (1.5). */
  ACK_RANDOM_FACTOR: number;
  /** §4.8: retransmissions of a CON before giving up (4). */
  MAX_RETRANSMIT: number;
  /** §4.7: outstanding interactions per peer (1). */
  NSTART: number;
  /** §8.2: how long a server may wait before answering a multicast request, ms (5 s). Unused: no multicast. */
  DEFAULT_LEISURE: number;
  /** §4.7: bytes/second towards a peer that does not answer (1). Unused: we never send NON floods. */
  PROBING_RATE: number;
  /** ACK_TIMEOUT * (2^MAX_RETRANSMIT - 1) * ACK_RANDOM_FACTOR = 45 s: first to last retransmission. */
  MAX_TRANSMIT_SPAN: number;
  /** ACK_TIMEOUT * (2^(MAX_RETRANSMIT + 1) - 1) * ACK_RANDOM_FACTOR = 93 s: first send to give-up. */
  MAX_TRANSMIT_WAIT: number;
  /** 100 s: the longest a datagram is assumed to be in flight (§4.8.2, taken from TCP's MSL). */
  MAX_LATENCY: number;
  /** = ACK_TIMEOUT, 2 s: time a node takes to turn a CON into an ACK. */
  PROCESSING_DELAY: number;
  /** 2 * MAX_LATENCY + PROCESSING_DELAY = 202 s. */
  MAX_RTT: number;
  /** MAX_TRANSMIT_SPAN + 2 * MAX_LATENCY + PROCESSING_DELAY = 247 s: how long a CON's MID is remembered. */
  EXCHANGE_LIFETIME: number;
  /** MAX_TRANSMIT_SPAN + MAX_LATENCY = 145 s: how long a NON's MID is remembered. */
  NON_LIFETIME: number;

  // --- Implementation limits (not from the RFC) ---
  /** A request handler that takes longer than this gets an empty ACK, then a separate response (§5.2.2). */
  SEPARATE_RESPONSE_AFTER: number;
  /** Default deadline of an outgoing request, from `request()` to the response, ms. */
  REQUEST_TIMEOUT: number;
  /** Most (peer, MID) pairs remembered for deduplication (§4.5), per message type. */
  MAX_DEDUP_ENTRIES: number;
  /** Block size for our block-wise transfers, bytes: 16..1024, a power of two (RFC 7959 §2.2). */
  BLOCK_SIZE: number;
  /** Largest body reassembled from blocks, either direction (RFC 7959 §2.9.3 answers 4.13 beyond it). */
  MAX_BODY_SIZE: number;
  /** Most partially transferred block-wise bodies kept at once (incoming Block1, outgoing Block2). */
  MAX_BLOCK_TRANSFERS: number;
  /** Bytes of a random token we generate (RFC 7252 §5.3.1 allows 0..8; we use 4..8). */
  TOKEN_LENGTH: number;
}

const ACK_TIMEOUT = 2_000;
const ACK_RANDOM_FACTOR = 1.5;
const MAX_RETRANSMIT = 4;
const MAX_LATENCY = 100_000;

export function resolveParameters(over: Partial<CoapParameters> = {}): Readonly<CoapParameters> {
  const ackTimeout = over.ACK_TIMEOUT ?? ACK_TIMEOUT;
  const factor = over.ACK_RANDOM_FACTOR ?? ACK_RANDOM_FACTOR;
  const maxRetransmit = over.MAX_RETRANSMIT ?? MAX_RETRANSMIT;
  const maxLatency = over.MAX_LATENCY ?? MAX_LATENCY;
  const processingDelay = over.PROCESSING_DELAY ?? ackTimeout;
  const span = over.MAX_TRANSMIT_SPAN ?? ackTimeout * (2 ** maxRetransmit - 1) * factor;
  const exchangeLifetime = over.EXCHANGE_LIFETIME ?? span + 2 * maxLatency + processingDelay;
  const p: CoapParameters = {
    ACK_TIMEOUT: ackTimeout,
    ACK_RANDOM_FACTOR: factor,
    MAX_RETRANSMIT: maxRetransmit,
    NSTART: over.NSTART ?? 1,
    DEFAULT_LEISURE: over.DEFAULT_LEISURE ?? 5_000,
    PROBING_RATE: over.PROBING_RATE ?? 1,
    MAX_TRANSMIT_SPAN: span,
    MAX_TRANSMIT_WAIT: over.MAX_TRANSMIT_WAIT ?? ackTimeout * (2 ** (maxRetransmit + 1) - 1) * factor,
    MAX_LATENCY: maxLatency,
    PROCESSING_DELAY: processingDelay,
    MAX_RTT: over.MAX_RTT ?? 2 * maxLatency + processingDelay,
    EXCHANGE_LIFETIME: exchangeLifetime,
    NON_LIFETIME: over.NON_LIFETIME ?? span + maxLatency,
    SEPARATE_RESPONSE_AFTER: over.SEPARATE_RESPONSE_AFTER ?? 1_500,
    REQUEST_TIMEOUT: over.REQUEST_TIMEOUT ?? exchangeLifetime,
    MAX_DEDUP_ENTRIES: over.MAX_DEDUP_ENTRIES ?? 100_000,
    BLOCK_SIZE: over.BLOCK_SIZE ?? 1024,
    MAX_BODY_SIZE: over.MAX_BODY_SIZE ?? 1024 * 1024,
    MAX_BLOCK_TRANSFERS: over.MAX_BLOCK_TRANSFERS ?? 10_000,
    TOKEN_LENGTH: over.TOKEN_LENGTH ?? 4,
  };
  validate(p);
  return Object.freeze(p);
}

function validate(p: CoapParameters): void {
  const bad = (what: string): never => {
    throw new RangeError(`invalid CoAP parameter: ${what}`);
  };
  if (!(p.ACK_TIMEOUT > 0)) bad('ACK_TIMEOUT must be > 0');
  if (!(p.ACK_RANDOM_FACTOR >= 1)) bad('ACK_RANDOM_FACTOR must be >= 1');
  if (!Number.isInteger(p.MAX_RETRANSMIT) || p.MAX_RETRANSMIT < 0) bad('MAX_RETRANSMIT must be an integer >= 0');
  if (!Number.isInteger(p.NSTART) || p.NSTART < 1) bad('NSTART must be an integer >= 1');
  if (![16, 32, 64, 128, 256, 512, 1024].includes(p.BLOCK_SIZE)) bad('BLOCK_SIZE must be a power of two in 16..1024');
  if (!Number.isInteger(p.TOKEN_LENGTH) || p.TOKEN_LENGTH < 4 || p.TOKEN_LENGTH > 8) bad('TOKEN_LENGTH must be 4..8');
  if (!(p.MAX_DEDUP_ENTRIES >= 1)) bad('MAX_DEDUP_ENTRIES must be >= 1');
  if (!(p.MAX_BODY_SIZE >= 16)) bad('MAX_BODY_SIZE must be >= 16');
  if (!(p.SEPARATE_RESPONSE_AFTER >= 0)) bad('SEPARATE_RESPONSE_AFTER must be >= 0');
  if (!(p.REQUEST_TIMEOUT > 0)) bad('REQUEST_TIMEOUT must be > 0');
}
