/**
 * RFC 7252 §4.8.2: MAX_TRANSMIT_WAIT = ACK_TIMEOUT * (2 ** (MAX_RETRANSMIT + 1) - 1) *
 * ACK_RANDOM_FACTOR = 2 s * 31 * 1.5 = 93 s. LwM2M 1.1 Transport ("Queue Mode Operation")
 * uses it as the time a queue-mode client stays awake after it last sent a message.
 */
export const MAX_TRANSMIT_WAIT_MS = 93_000;

/** How long a queued request waits for its device before it expires (default). */
export const DEFAULT_QUEUE_TTL_MS = 24 * 3600 * 1000;
