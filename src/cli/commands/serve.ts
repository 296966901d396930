import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseNonNegative, parsePort, parsePositive } from '../options.js';

/** "rate" or "rate:burst" (requests per second, bucket size). */
function parseRate(value: string): { ratePerSec: number; burst?: number } {
  const m = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(value);
  if (!m || Number(m[1]) <= 0 || (m[2] !== undefined && Number(m[2]) <= 0)) throw new InvalidArgumentError('must be RATE or RATE:BURST, e.g. 5:30.');
  return m[2] === undefined ? { ratePerSec: Number(m[1]) } : { ratePerSec: Number(m[1]), burst: Number(m[2]) };
}

interface ServeOptions {
  data: string;
  host: string;
  coapPort: number;
  httpHost: string;
  httpPort: number;
  http: boolean;
  memory?: boolean;
  objects: string[];
  logLevel: string;
  keepAddressOnUpdate?: boolean;
  coapsPort: number;
  dtls: boolean;
  cert?: string;
  key?: string;
  ca: string[];
  bootstrap: boolean;
  bsPort: number;
  bsSecurePort: number;
  bsDtls: boolean;
  protection: boolean;
  ratePerDevice?: { ratePerSec: number; burst?: number };
  ratePerAddress?: { ratePerSec: number; burst?: number };
  autoQuarantine?: boolean;
  requestTimeout: number;
  reobserve: boolean;
  awakeWindow: number;
  queueTtl: number;
  historyEntries: number;
  historyDays: number;
  eventBuffer: number;
  eventResumeWindow: number;
  dtlsSessionsPerAddress: number;
  dtlsHandshakesPerAddress: number;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the LwM2M server (CoAP + management API) until SIGINT/SIGTERM')
    .option('--data <dir>', 'data folder: LevelDB and admin.token', './data')
    .option('--host <host>', 'CoAP listen address', '127.0.0.1')
    .option('--coap-port <port>', 'CoAP UDP port', parsePort, 5683)
    .option('--coaps-port <port>', 'CoAPs (DTLS) UDP port, on the --host address', parsePort, 5684)
    .option('--no-dtls', 'do not start the CoAPs (DTLS) listener')
    .option('--cert <file>', 'server certificate chain (PEM, leaf first); default: self-signed, generated in the data folder')
    .option('--key <file>', 'private key of --cert (P-256); alone: raw-public-key mode only')
    .option('--ca <file|dir>', 'trusted CA certificates for device certificates; repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--dtls-sessions-per-address <n>', 'DTLS sessions admitted per source IP address (devices behind one NAT share one)', parsePositive, 256)
    .option('--dtls-handshakes-per-address <n>', 'DTLS handshakes in progress per source IP address', parsePositive, 64)
    .option('--bs-port <port>', 'bootstrap server CoAP port, on the --host address', parsePort, 5685)
    .option('--bs-secure-port <port>', 'bootstrap server CoAPs (DTLS) port', parsePort, 5686)
    .option('--no-bs-dtls', 'run the bootstrap server without its DTLS listener')
    .option('--no-bootstrap', 'do not run the bootstrap server')
    .option('--http-host <host>', 'management API listen address', '127.0.0.1')
    .option('--http-port <port>', 'management API port', parsePort, 8080)
    .option('--no-http', 'do not start the management API')
    .option('--memory', 'keep everything in memory (nothing survives a restart)')
    .option('--objects <dir>', 'extra object definitions (DDF XML or JSON); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
    .option('--keep-address-on-update', 'do not move a registration to the source address of its Updates')
    .option('--no-protection', 'no rate limits on device requests')
    .option('--rate-per-device <rate[:burst]>', 'device requests (Register, Update, Send, bootstrap) per second per endpoint (default 5:30)', parseRate)
    .option('--rate-per-address <rate[:burst]>', 'the same per source IP address (default 500:2000)', parseRate)
    .option('--auto-quarantine', 'quarantine a device that keeps exceeding its rate (100 refusals in 60 s)')
    .option('--request-timeout <seconds>', 'how long to wait for a device to answer', parsePositive, 30)
    .option('--no-reobserve', 'do not observe again what a device was observed for when it registers anew')
    .option('--awake-window <seconds>', 'how long a queue-mode device counts as awake after it sent something', parsePositive, 93)
    .option('--queue-ttl <seconds>', 'how long a request for a sleeping device waits before it expires', parsePositive, 86400)
    .option('--history-entries <n>', 'history entries kept per resource', parsePositive, 100)
    .option('--history-days <days>', 'history kept for this many days', parsePositive, 7)
    .option('--event-buffer <n>', 'live events kept for clients that reconnect (Last-Event-ID)', parsePositive, 10_000)
    .option('--event-resume-window <seconds>', 'how long events are still kept after the last event-stream client left', parseNonNegative, 600)
    .action(async (o: ServeOptions) => {
      // Loaded here so that management commands start without the server stack.
      const { startServer } = await import('../../server.js');
      const server = await startServer({
        dataDir: o.data,
        storage: o.memory ? 'memory' : 'level',
        coap: { host: o.host, port: o.coapPort },
        http: { enabled: o.http, host: o.httpHost, port: o.httpPort },
        dtls: {
          enabled: o.dtls,
          host: o.host,
          port: o.coapsPort,
          caFiles: o.ca,
          sessionsPerAddress: Math.floor(o.dtlsSessionsPerAddress),
          handshakesPerAddress: Math.floor(o.dtlsHandshakesPerAddress),
          ...(o.cert ? { certFile: o.cert } : {}),
          ...(o.key ? { keyFile: o.key } : {}),
        },
        bootstrap: { enabled: o.bootstrap, host: o.host, port: o.bsPort, dtls: o.bsDtls, securePort: o.bsSecurePort, requestTimeoutMs: o.requestTimeout * 1000 },
        registration: { followAddressOnUpdate: !o.keepAddressOnUpdate },
        protection: {
          enabled: o.protection,
          ...(o.ratePerDevice ? { perDevice: o.ratePerDevice } : {}),
          ...(o.ratePerAddress ? { perAddress: o.ratePerAddress } : {}),
          ...(o.autoQuarantine ? { autoQuarantine: { enabled: true } } : {}),
        },
        management: { requestTimeoutMs: o.requestTimeout * 1000, reobserveOnRegister: o.reobserve },
        queue: { awakeWindowMs: o.awakeWindow * 1000, ttlMs: o.queueTtl * 1000 },
        objectStore: { historyEntries: Math.floor(o.historyEntries), historyMaxAgeMs: o.historyDays * 86400 * 1000 },
        events: { bufferSize: Math.floor(o.eventBuffer), resumeWindowMs: o.eventResumeWindow * 1000 },
        objectsDirs: o.objects,
        logLevel: o.logLevel,
      });
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`${signal}: stopping\n`);
        server.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    });
}
