/**
 * Options of the DTLS server, validated once and frozen (ARCHITECTURE.md: fastify habit).
 */
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { badConfig } from './errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { SUPPORTED_SUITES, type CipherSuite } from './cipher-suites.js';
import { DEFAULT_REASSEMBLY_LIMITS, type ReassemblyLimits } from './reassembler.js';
import { loadCredentials, type CertificateOptions, type ServerCredentials } from './certificates.js';

export interface DtlsLimits {
  /** Handshakes held at once (after a valid cookie); more are dropped. */
  maxHandshakes: number;
  /** Handshakes held at once for one IP address (all ports). */
  maxHandshakesPerAddress: number;
  /** A handshake not finished in this time is abandoned. */
  handshakeTimeoutMs: number;
  /** Established sessions per IP address (all ports). */
  maxSessionsPerAddress: number;
  /** Established sessions in total. */
  maxSessions: number;
  /** A session with no authentic record from the peer for this long is dropped. */
  sessionIdleMs: number;
  /** Handshake reassembly bounds, per handshake. */
  reassembly: ReassemblyLimits;
  /** Largest datagram we send. */
  mtu: number;
  /** Sessions kept for resumption by session ID. */
  resumptionCacheSize: number;
  resumptionLifetimeMs: number;
}

export const DEFAULT_LIMITS: DtlsLimits = Object.freeze({
  maxHandshakes: 1000,
  maxHandshakesPerAddress: 64,
  handshakeTimeoutMs: 30_000,
  maxSessionsPerAddress: 256,
  maxSessions: 100_000,
  sessionIdleMs: 24 * 3600_000,
  reassembly: DEFAULT_REASSEMBLY_LIMITS,
  mtu: 1200,
  resumptionCacheSize: 10_000,
  resumptionLifetimeMs: 24 * 3600_000,
});

export interface DtlsServerOptions {
  host?: string;
  port?: number;
  /** PSK lookup by identity (RFC 4279); undefined = unknown identity. */
  psk: (identity: string) => Buffer | undefined;
  /** ECDHE_ECDSA credentials (RFC 7251): X.509 and/or raw public keys (RFC 7250). */
  certificate?: CertificateOptions;
  /** RFC 4279 §2 identity hint; omitted by default (LwM2M clients do not use it). */
  pskIdentityHint?: string;
  /** Suites in server preference order; default PSK CCM_8, ECDHE_ECDSA CCM_8 (with `certificate`), ECDHE_PSK CBC, PSK CBC. */
  cipherSuites?: readonly CipherSuite[];
  /** RFC 9146 connection ID length we hand out; 0 disables CID. Default 6. */
  connectionIdLength?: number;
  clock?: Clock;
  logger?: Logger;
  limits?: Partial<DtlsLimits>;
  retransmitInitialMs?: number;
  retransmitMaxMs?: number;
  cookieRotateMs?: number;
  /**
   * SO_RCVBUF/SO_SNDBUF for the socket, best effort (the kernel caps it at net.core.rmem_max).
   * Default: the system's. Thousands of devices handshaking at once overflow a 208 KB buffer
   * whenever the process is briefly descheduled, and every lost datagram costs a device a
   * 1 s retransmission timeout.
   */
  socketBufferBytes?: number;
  /** Names the listener in the error when its address cannot be taken. Default "CoAPs (DTLS)". */
  listener?: string;
}

export interface ResolvedOptions {
  psk: (identity: string) => Buffer | undefined;
  pskIdentityHint: Buffer;
  credentials: ServerCredentials | undefined;
  cipherSuites: readonly CipherSuite[];
  connectionIdLength: number;
  clock: Clock;
  logger: Logger;
  limits: DtlsLimits;
  retransmitInitialMs: number;
  retransmitMaxMs: number;
  cookieRotateMs: number;
}

export function resolveOptions(o: DtlsServerOptions): ResolvedOptions {
  if (typeof o.psk !== 'function') throw badConfig('dtls: psk lookup function is required');
  const limits: DtlsLimits = { ...DEFAULT_LIMITS, ...o.limits, reassembly: { ...DEFAULT_LIMITS.reassembly, ...o.limits?.reassembly } };
  for (const [k, v] of Object.entries(limits)) {
    if (typeof v === 'number' && !(v >= 0)) throw badConfig(`dtls: limits.${k} must be a non-negative number`);
  }
  if (limits.mtu < 256 || limits.mtu > 65507) throw badConfig('dtls: limits.mtu must be within 256..65507');
  const cidLen = o.connectionIdLength ?? 6;
  if (!Number.isInteger(cidLen) || cidLen < 0 || cidLen > 255) throw badConfig('dtls: connectionIdLength must be 0..255');
  const suites = o.cipherSuites ?? SUPPORTED_SUITES;
  if (suites.length === 0) throw badConfig('dtls: at least one cipher suite is required');
  return Object.freeze({
    psk: o.psk,
    pskIdentityHint: Buffer.from(o.pskIdentityHint ?? '', 'utf8'),
    credentials: o.certificate ? loadCredentials(o.certificate) : undefined,
    cipherSuites: suites,
    connectionIdLength: cidLen,
    clock: o.clock ?? systemClock,
    logger: (o.logger ?? silentLogger()).child({ component: 'dtls' }),
    limits: Object.freeze(limits),
    retransmitInitialMs: o.retransmitInitialMs ?? 1000,
    retransmitMaxMs: o.retransmitMaxMs ?? 60_000,
    cookieRotateMs: o.cookieRotateMs ?? 5 * 60_000,
  });
}
