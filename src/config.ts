import path from 'node:path';
import { Lwm2mError } from './errors.js';
import { resolveProtection, type ProtectionConfig } from './ops/protection.js';

/** Everything `lwm2m serve` can be told. Validated once at start-up, then frozen. */
export interface ServerConfig {
  /** Folder for LevelDB (`db/`) and the admin token. */
  dataDir: string;
  /** "level" keeps everything across restarts; "memory" is for tests and demos. */
  storage: 'level' | 'memory';
  coap: { host: string; port: number };
  http: { enabled: boolean; host: string; port: number };
  /** CoAPs (DTLS 1.2) listener and the server's own key material. */
  dtls: {
    enabled: boolean;
    host: string;
    port: number;
    /** `--cert`: PEM chain, leaf first; generated (self-signed) in the data folder when absent. */
    certFile?: string;
    /** `--key`: the certificate's P-256 private key; alone, raw-public-key mode only. */
    keyFile?: string;
    /** `--ca`: trusted CA certificates for device X.509 certificates (files or folders). */
    caFiles: string[];
    /**
     * DTLS sessions admitted per source IP address (all ports). Devices behind one NAT share
     * an address: raise it for large NATed fleets. Default 256.
     */
    sessionsPerAddress?: number;
    /** Handshakes in progress per source IP address. Default 64. */
    handshakesPerAddress?: number;
  };
  /** The bootstrap server in the same process (LwM2M 1.1 Core §5.2). */
  bootstrap: {
    enabled: boolean;
    host: string;
    /** CoAP port of the bootstrap server. */
    port: number;
    /** Whether to run its CoAPs (DTLS) listener too. */
    dtls: boolean;
    securePort: number;
    /** How long to wait for a device during a bootstrap session (ms). */
    requestTimeoutMs: number;
  };
  registration: {
    /** Extra time after a lifetime ends before the registration is removed (ms). */
    expiryGraceMs: number;
    /** How often expired registrations are swept (ms). */
    sweepIntervalMs: number;
    /** Move a registration to the source address of each Update (see README). */
    followAddressOnUpdate: boolean;
  };
  management: {
    /** How long to wait for a device's answer to a request (ms). */
    requestTimeoutMs: number;
    /** Set observations up again when a device registers anew. */
    reobserveOnRegister: boolean;
  };
  queue: {
    /** How long a queue-mode device counts as awake after it last sent something (ms). */
    awakeWindowMs: number;
    /** How long a queued request waits for its device before it expires (ms). */
    ttlMs: number;
  };
  objectStore: {
    /** History entries kept per resource. */
    historyEntries: number;
    /** History older than this is dropped (ms). */
    historyMaxAgeMs: number;
    /** How often history past `historyMaxAgeMs` is swept out (ms). Default one hour. */
    retentionSweepMs: number;
  };
  /** Rate limits on device-initiated requests, and automatic quarantine (off by default). */
  protection: ProtectionConfig;
  /**
   * Live events: how many the stream keeps for `Last-Event-ID` resume, and how long after the
   * last stream client left it still keeps them (ms; none are kept before the first client).
   */
  events: { bufferSize: number; resumeWindowMs: number };
  /** Extra folders of object definitions (DDF XML or our JSON), on top of the built-in ones. */
  objectsDirs: string[];
  logLevel: string;
}

export type ConfigInput = {
  [K in Exclude<keyof ServerConfig, 'protection'>]?: ServerConfig[K] extends object ? (ServerConfig[K] extends unknown[] ? ServerConfig[K] : Partial<ServerConfig[K]>) : ServerConfig[K];
} & { protection?: Parameters<typeof resolveProtection>[0] };

export const DEFAULT_CONFIG: ServerConfig = {
  dataDir: './data',
  storage: 'level',
  coap: { host: '127.0.0.1', port: 5683 },
  http: { enabled: true, host: '127.0.0.1', port: 8080 },
  dtls: { enabled: true, host: '127.0.0.1', port: 5684, caFiles: [] },
  bootstrap: { enabled: true, host: '127.0.0.1', port: 5685, dtls: true, securePort: 5686, requestTimeoutMs: 30_000 },
  registration: { expiryGraceMs: 2000, sweepIntervalMs: 1000, followAddressOnUpdate: true },
  management: { requestTimeoutMs: 30_000, reobserveOnRegister: true },
  queue: { awakeWindowMs: 93_000, ttlMs: 24 * 3600 * 1000 },
  objectStore: { historyEntries: 100, historyMaxAgeMs: 7 * 24 * 3600 * 1000, retentionSweepMs: 3600 * 1000 },
  protection: resolveProtection(),
  events: { bufferSize: 10_000, resumeWindowMs: 600_000 },
  objectsDirs: [],
  logLevel: 'info',
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function bad(message: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_CONFIG', message);
}

function port(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw bad(`${name} must be an integer from 0 to 65535, got ${value}`);
  return value;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw bad(`${name} must be a positive number, got ${value}`);
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw bad(`${name} must be a number, 0 or more, got ${value}`);
  return value;
}

function host(value: string, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw bad(`${name} must be a host name or address`);
  return value;
}

export function resolveConfig(input: ConfigInput = {}): Readonly<ServerConfig> {
  const c: ServerConfig = {
    dataDir: path.resolve(input.dataDir ?? DEFAULT_CONFIG.dataDir),
    storage: input.storage ?? DEFAULT_CONFIG.storage,
    coap: { ...DEFAULT_CONFIG.coap, ...input.coap },
    http: { ...DEFAULT_CONFIG.http, ...input.http },
    dtls: {
      ...DEFAULT_CONFIG.dtls,
      // An ephemeral CoAP port (0, tests and embedding) means ephemeral CoAPs and bootstrap ports too.
      ...(input.coap?.port === 0 ? { port: 0 } : {}),
      ...input.dtls,
      caFiles: (input.dtls?.caFiles ?? []).map((f) => path.resolve(f)),
    },
    bootstrap: { ...DEFAULT_CONFIG.bootstrap, ...(input.coap?.port === 0 ? { port: 0, securePort: 0 } : {}), ...input.bootstrap },
    registration: { ...DEFAULT_CONFIG.registration, ...input.registration },
    management: { ...DEFAULT_CONFIG.management, ...input.management },
    queue: { ...DEFAULT_CONFIG.queue, ...input.queue },
    objectStore: { ...DEFAULT_CONFIG.objectStore, ...input.objectStore },
    protection: resolveProtection(input.protection),
    events: { ...DEFAULT_CONFIG.events, ...input.events },
    objectsDirs: (input.objectsDirs ?? []).map((d) => path.resolve(d)),
    logLevel: input.logLevel ?? DEFAULT_CONFIG.logLevel,
  };
  if (c.storage !== 'level' && c.storage !== 'memory') throw bad(`storage must be "level" or "memory", got ${String(c.storage)}`);
  host(c.coap.host, 'coap.host');
  port(c.coap.port, 'coap.port');
  host(c.http.host, 'http.host');
  port(c.http.port, 'http.port');
  host(c.dtls.host, 'dtls.host');
  port(c.dtls.port, 'dtls.port');
  if (c.dtls.sessionsPerAddress !== undefined) positive(c.dtls.sessionsPerAddress, 'dtls.sessionsPerAddress');
  if (c.dtls.handshakesPerAddress !== undefined) positive(c.dtls.handshakesPerAddress, 'dtls.handshakesPerAddress');
  host(c.bootstrap.host, 'bootstrap.host');
  port(c.bootstrap.port, 'bootstrap.port');
  port(c.bootstrap.securePort, 'bootstrap.securePort');
  positive(c.bootstrap.requestTimeoutMs, 'bootstrap.requestTimeoutMs');
  positive(c.registration.expiryGraceMs, 'registration.expiryGraceMs');
  positive(c.registration.sweepIntervalMs, 'registration.sweepIntervalMs');
  positive(c.management.requestTimeoutMs, 'management.requestTimeoutMs');
  positive(c.queue.awakeWindowMs, 'queue.awakeWindowMs');
  positive(c.queue.ttlMs, 'queue.ttlMs');
  positive(c.objectStore.historyEntries, 'objectStore.historyEntries');
  positive(c.objectStore.historyMaxAgeMs, 'objectStore.historyMaxAgeMs');
  positive(c.objectStore.retentionSweepMs, 'objectStore.retentionSweepMs');
  positive(c.events.bufferSize, 'events.bufferSize');
  nonNegative(c.events.resumeWindowMs, 'events.resumeWindowMs');
  if (!LOG_LEVELS.includes(c.logLevel)) throw bad(`logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  return deepFreeze(c);
}

function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}
