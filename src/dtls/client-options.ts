/**
 * Options of the DTLS client (`connectDtls`), validated once and frozen, like the server's.
 */
import { pooledRandomBytes } from '../random-pool.js';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { PeerAddress } from '../transport/types.js';
import { suiteById, TLS_PSK_WITH_AES_128_CBC_SHA256, TLS_PSK_WITH_AES_128_CCM_8, type CipherSuite } from './cipher-suites.js';
import { badConfig } from './errors.js';
import { DEFAULT_REASSEMBLY_LIMITS, type ReassemblyLimits } from './reassembler.js';

export interface DtlsClientOptions {
  server: PeerAddress;
  /** RFC 4279 PSK identity (UTF-8, at most 128 bytes as most servers accept). */
  identity: string;
  psk: Buffer;
  /** Suites (or their IANA ids) in order of preference; PSK / ECDHE_PSK only. Default CCM_8, then PSK CBC. */
  suites?: ReadonlyArray<CipherSuite | number>;
  /**
   * RFC 9146 connection ID: `true` asks the server to use a fresh 4-byte CID of ours, a Buffer
   * asks for that CID (empty = we put the server's CID in our records but want none back).
   */
  cid?: boolean | Buffer;
  clock?: Clock;
  /** The whole handshake must finish in this time; default 15 s. */
  timeoutMs?: number;
  /** RFC 6347 §4.2.4.1: first retransmission after 1 s, doubling up to 60 s. */
  retransmitInitialMs?: number;
  retransmitMaxMs?: number;
  /** Largest datagram we send; default 1200. */
  mtu?: number;
  /** Local address/port to bind; default any address, an ephemeral port. */
  localAddress?: string;
  localPort?: number;
  logger?: Logger;
}

export interface ResolvedClientOptions {
  server: PeerAddress;
  identity: Buffer;
  psk: Buffer;
  suites: readonly CipherSuite[];
  ownCid: Buffer | undefined;
  clock: Clock;
  timeoutMs: number;
  retransmitInitialMs: number;
  retransmitMaxMs: number;
  mtu: number;
  reassembly: ReassemblyLimits;
  localAddress: string | undefined;
  localPort: number;
  logger: Logger;
}

let silent: Logger | undefined;
function sharedSilentLogger(): Logger {
  return (silent ??= silentLogger());
}

export const DEFAULT_CLIENT_SUITES: readonly CipherSuite[] = Object.freeze([TLS_PSK_WITH_AES_128_CCM_8, TLS_PSK_WITH_AES_128_CBC_SHA256]);

export function resolveClientOptions(o: DtlsClientOptions): ResolvedClientOptions {
  if (!o.server || typeof o.server.address !== 'string' || !Number.isInteger(o.server.port) || o.server.port <= 0 || o.server.port > 65535) {
    throw badConfig('dtls client: server must be { address, port }');
  }
  const identity = Buffer.from(o.identity ?? '', 'utf8');
  if (identity.length === 0 || identity.length > 65535) throw badConfig('dtls client: identity must be a non-empty string');
  if (!Buffer.isBuffer(o.psk) || o.psk.length === 0 || o.psk.length > 65535) throw badConfig('dtls client: psk must be a non-empty Buffer');
  const suites = (o.suites ?? DEFAULT_CLIENT_SUITES).map((s) => {
    const suite = typeof s === 'number' ? suiteById(s) : suiteById(s.id);
    if (!suite || (suite.keyExchange !== 'psk' && suite.keyExchange !== 'ecdhe_psk')) {
      throw badConfig(`dtls client: unsupported cipher suite ${typeof s === 'number' ? `0x${s.toString(16)}` : s.name}`);
    }
    return suite;
  });
  if (suites.length === 0) throw badConfig('dtls client: at least one cipher suite is required');
  let ownCid: Buffer | undefined;
  if (o.cid === true) ownCid = pooledRandomBytes(4);
  else if (Buffer.isBuffer(o.cid)) {
    if (o.cid.length > 255) throw badConfig('dtls client: cid must be at most 255 bytes');
    ownCid = Buffer.from(o.cid);
  }
  const num = (v: number | undefined, dflt: number, name: string, min: number, max: number): number => {
    const n = v ?? dflt;
    if (!Number.isFinite(n) || n < min || n > max) throw badConfig(`dtls client: ${name} must be within ${min}..${max}`);
    return n;
  };
  const retransmitInitialMs = num(o.retransmitInitialMs, 1000, 'retransmitInitialMs', 1, 60_000);
  return Object.freeze({
    server: { address: o.server.address, port: o.server.port },
    identity,
    psk: Buffer.from(o.psk),
    suites: Object.freeze(suites),
    ownCid,
    clock: o.clock ?? systemClock,
    timeoutMs: num(o.timeoutMs, 15_000, 'timeoutMs', 1, 3_600_000),
    retransmitInitialMs,
    retransmitMaxMs: num(o.retransmitMaxMs, 60_000, 'retransmitMaxMs', retransmitInitialMs, 600_000),
    mtu: num(o.mtu, 1200, 'mtu', 256, 65507),
    reassembly: DEFAULT_REASSEMBLY_LIMITS,
    localAddress: o.localAddress,
    localPort: num(o.localPort, 0, 'localPort', 0, 65535),
    // One shared silent logger: building a pino instance per connection was 14% of a client handshake.
    logger: o.logger ? o.logger.child({ component: 'dtls-client' }) : sharedSilentLogger(),
  });
}
