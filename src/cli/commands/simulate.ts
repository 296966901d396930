import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { createLogger } from '../../log.js';
import { ModelRegistry } from '../../model/registry.js';
import { MAX_FLEET_SIZE, type FleetProgress } from '../../sim/fleet.js';
import { parsePskCredentials } from '../../sim/psk-credentials.js';
import { parseServerUri } from '../../sim/server-uri.js';
import { Simulation, type SimulationSummary } from '../../sim/simulation.js';
import { CliError } from '../api-client.js';
import { printJson, printRecord } from '../output.js';
import { ProgressBar } from './fleet-progress.js';

/** Hard limit on a run: a day. */
const MAX_DURATION_S = 24 * 3600;

interface SimulateOptions {
  server: string;
  count: number;
  prefix: string;
  objects: number[];
  lifetime: number;
  notifyEvery?: number;
  sendEvery?: number;
  queueMode?: boolean;
  awake: number;
  sleep: number;
  pskFrom?: string;
  bootstrap?: string;
  duration?: number;
  concurrency: number;
  allowRemote?: boolean;
  json?: boolean;
  logLevel: string;
}

function intIn(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}.`);
    return n;
  };
}

function seconds(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`must be a number of seconds above 0, at most ${max}.`);
    return n;
  };
}

function objectList(value: string): number[] {
  const ids = value.split(',').map((s) => s.trim());
  if (ids.some((s) => !/^\d{1,5}$/.test(s) || Number(s) > 65534)) throw new InvalidArgumentError('must be a comma-separated list of object ids, e.g. 3,3303,3311.');
  return [...new Set(ids.map(Number))];
}

/** Plain progress lines when stderr is not a terminal (a log, CI): at most one a second. */
function progressReporter(count: number, quiet: boolean): { tick: (p: FleetProgress) => void; done: () => void } {
  const bar = new ProgressBar('registering', count);
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let seen = 0;
  return {
    tick: (p) => {
      const n = p.registered + p.failed;
      if (tty) bar.tick(n - seen);
      seen = n;
      if (!tty && !quiet && (Date.now() - last >= 1000 || n === p.total)) {
        last = Date.now();
        process.stderr.write(`registering: ${p.registered}/${p.total} registered, ${p.failed} failed\n`);
      }
    },
    done: () => {
      if (tty) bar.finish();
    },
  };
}

async function simulate(o: SimulateOptions): Promise<void> {
  const server = parseServerUri(o.server);
  const bootstrap = o.bootstrap !== undefined ? parseServerUri(o.bootstrap) : undefined;
  if (bootstrap?.scheme === 'coaps') throw new CliError('--bootstrap: only coap:// bootstrap servers are simulated (the delivered LwM2M account may be coaps with PSK)');
  let psk;
  if (o.pskFrom !== undefined) {
    // With --bootstrap the bootstrap server delivers each device's credentials (Security object /0).
    if (bootstrap !== undefined) throw new CliError('--psk-from and --bootstrap exclude each other: the bootstrap server delivers the credentials');
    if (server.scheme !== 'coaps') throw new CliError('--psk-from needs a coaps:// --server');
    let text: string;
    try {
      text = await readFile(o.pskFrom, 'utf8');
    } catch (e) {
      throw new CliError(`--psk-from: cannot read ${o.pskFrom}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const creds = parsePskCredentials(text, `--psk-from ${o.pskFrom}`);
    // Fail before any handshake: a --prefix or --count that does not match the file is a typo,
    // not a fleet where some devices happen to fail.
    const missing = Array.from({ length: o.count }, (_, i) => `${o.prefix}${i}`).filter((ep) => !creds.has(ep));
    if (missing.length > 0) throw new CliError(`--psk-from ${o.pskFrom}: no credentials for ${missing[0]}${missing.length > 1 ? ` and ${missing.length - 1} more` : ''} (the devices are ${o.prefix}0 to ${o.prefix}${o.count - 1})`);
    psk = creds;
  }
  const models = await ModelRegistry.builtin();
  const unknown = o.objects.filter((id) => models.object(id) === undefined);
  if (unknown.length > 0) throw new CliError(`--objects: unknown object id ${unknown.join(', ')} (see "lwm2m objects list")`);
  // Every LwM2M client has a Server object (Core §E.2) for its registration parameters.
  const objects = [...new Set([1, ...o.objects])].map((objectId) => ({ objectId }));

  let stopRequested = false;
  let forced = false;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  let sim: Simulation | undefined;
  const onSigint = (): void => {
    if (stopRequested) {
      // A second Ctrl-C: no De-register, just go.
      forced = true;
      void sim?.abort().finally(() => process.exit(130));
      return;
    }
    stopRequested = true;
    process.stderr.write('stopping: de-registering every device (Ctrl-C again to quit at once)\n');
    wake();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const progress = progressReporter(o.count, o.json === true);
  try {
    sim = await Simulation.start({
      server,
      count: o.count,
      prefix: o.prefix,
      models,
      objects,
      lifetime: o.lifetime,
      ...(o.notifyEvery !== undefined ? { notifyEverySeconds: o.notifyEvery } : {}),
      ...(o.sendEvery !== undefined ? { sendEverySeconds: o.sendEvery } : {}),
      ...(o.queueMode === true ? { queueMode: { awakeSeconds: o.awake, sleepSeconds: o.sleep } } : {}),
      ...(psk ? { psk } : {}),
      ...(bootstrap ? { bootstrap: bootstrap.address } : {}),
      allowRemote: o.allowRemote === true,
      concurrency: o.concurrency,
      logger: createLogger({ level: o.logLevel, destination: process.stderr }),
      onProgress: progress.tick,
      cancelled: () => stopRequested,
    });
    progress.done();
    const up = sim.summary();
    if (o.json !== true) process.stderr.write(`${up.registered} of ${o.count} devices registered in ${up.startupSeconds} s (${up.failures} failed)${o.duration !== undefined ? `; running for ${o.duration} s` : '; Ctrl-C to stop'}\n`);
    const timer = setTimeout(() => wake(), (o.duration ?? MAX_DURATION_S) * 1000);
    await stopped;
    clearTimeout(timer);
    const summary = await sim.stop();
    if (forced) return;
    report(summary, o.json === true);
    if (summary.registered === 0) process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

function report(s: SimulationSummary, json: boolean): void {
  if (json) return printJson(s);
  printRecord({ ...s });
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'run N simulated LwM2M 1.1 devices in this process against a server (loopback only unless --allow-remote). ' +
        'For large fleets from one address, start the server with --no-protection (its per-address rate limit is 500/s).',
    )
    .option('--server <uri>', 'LwM2M server, coap://ADDRESS[:PORT] or coaps:// with --psk-from', 'coap://127.0.0.1:5683')
    .option('--count <n>', `number of devices, 1 to ${MAX_FLEET_SIZE} (each has its own UDP port)`, intIn(1, MAX_FLEET_SIZE), 1)
    .option('--prefix <prefix>', 'endpoint names are PREFIX0, PREFIX1, ...', 'sim-')
    .option('--objects <ids>', 'objects every device holds, besides Server (1)', objectList, [3, 3303, 3311])
    .option('--lifetime <s>', 'registration lifetime; devices Update before it ends', intIn(10, 31_536_000), 300)
    .option('--notify-every <s>', 'sensor values change this often; observers are notified as pmin/pmax allow', seconds(MAX_DURATION_S))
    .option('--send-every <s>', 'each device Sends (POST /dp) its sensor value this often', seconds(MAX_DURATION_S))
    .option('--queue-mode', 'queue mode (LwM2M 1.1 Q): devices sleep and wake')
    .option('--awake <s>', 'queue mode: awake time after each wake-up', seconds(MAX_DURATION_S), 10)
    .option('--sleep <s>', 'queue mode: sleep time between wake-ups', seconds(MAX_DURATION_S), 30)
    .option('--psk-from <file>', 'PSK per device (DTLS 1.2): lines "endpoint,identity,hexkey" or a JSON array of {endpoint, identity, key}')
    .option('--bootstrap <uri>', 'bootstrap first (coap://ADDRESS[:PORT]) and register where the bootstrap server says, with the lifetime and PSK it delivers (--server is not used)')
    .option('--duration <s>', `run this long, then de-register and exit (default: until Ctrl-C; at most ${MAX_DURATION_S})`, seconds(MAX_DURATION_S))
    .option('--concurrency <n>', 'Registers in flight at once', intIn(1, 1000), 50)
    .option('--allow-remote', 'allow a server that is not on a loopback address')
    .option('--log-level <level>', 'simulator log level on stderr', 'warn')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: SimulateOptions) => simulate(opts));
}
