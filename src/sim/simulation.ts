import { Lwm2mError } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { ModelLookup } from '../model/types.js';
import type { PeerAddress } from '../transport/types.js';
import type { SimObjectSpec } from './default-objects.js';
import { Fleet, type FleetProgress } from './fleet.js';
import { FleetActivity } from './fleet-activity.js';
import { devicePreparer } from './device-preparation.js';
import type { SimPskCredential } from './psk-credentials.js';
import { checkTarget, localAddressFor, type ServerUri } from './server-uri.js';
import type { SimulatedDeviceOptions } from './simulated-device.js';

export interface SimulationOptions {
  server: ServerUri;
  count: number;
  prefix: string;
  models: ModelLookup;
  objects: readonly SimObjectSpec[];
  lifetime: number;
  notifyEverySeconds?: number;
  sendEverySeconds?: number;
  queueMode?: { awakeSeconds: number; sleepSeconds: number };
  /** By endpoint: the devices then speak CoAP over DTLS 1.2 with PSK. */
  psk?: ReadonlyMap<string, SimPskCredential>;
  /** Devices bootstrap first and register where the bootstrap server tells them. */
  bootstrap?: PeerAddress;
  /** Servers may be non-loopback addresses. */
  allowRemote: boolean;
  concurrency: number;
  /** Local address the devices bind (default 127.0.0.1, or ::1 for an IPv6 server). */
  host?: string;
  logger?: Logger;
  onProgress?: (p: FleetProgress) => void;
  cancelled?: () => boolean;
}

export interface SimulationSummary {
  requested: number;
  registered: number;
  failures: number;
  firstFailure?: string;
  startupSeconds: number;
  runSeconds: number;
  updates: number;
  reRegistrations: number;
  notificationsSent: number;
  notificationsFailed: number;
  requestsAnswered: number;
  requestErrors: number;
  sends: number;
  sendsFailed: number;
  wakes: number;
  deregistered: number;
}

/**
 * A running fleet for `lwm2m simulate` and the integration tests: brings N devices up (bootstrap,
 * DTLS and Register as configured), keeps them active, and at `stop()` de-registers them and
 * returns the summary.
 */
export class Simulation {
  readonly fleet: Fleet;
  readonly activity: FleetActivity;
  readonly #requested: number;
  readonly #startupSeconds: number;
  readonly #startedAt: number;

  private constructor(fleet: Fleet, activity: FleetActivity, requested: number, startupSeconds: number) {
    this.fleet = fleet;
    this.activity = activity;
    this.#requested = requested;
    this.#startupSeconds = startupSeconds;
    this.#startedAt = Date.now();
  }

  static async start(o: SimulationOptions): Promise<Simulation> {
    checkTarget(o.server.address.address, o.allowRemote, 'server');
    if (o.bootstrap) checkTarget(o.bootstrap.address, o.allowRemote, 'bootstrap server');
    if (o.server.scheme === 'coaps' && o.psk === undefined && o.bootstrap === undefined) throw new Lwm2mError('LWM2M_ERR_BAD_CONFIG', 'a coaps:// server needs --psk-from FILE');
    const log = o.logger ?? silentLogger();
    const host = o.host ?? localAddressFor(o.server.address.address);
    const t0 = Date.now();
    const device: Omit<SimulatedDeviceOptions, 'endpoint' | 'server' | 'models'> = {
      lwm2mVersion: '1.1',
      lifetime: o.lifetime,
      objects: o.objects,
      queueMode: o.queueMode !== undefined,
      host,
      logger: log,
      // Long runs: keep only a few received requests per device (they are for tests).
      maxRecordedRequests: 16,
    };
    const prepare = devicePreparer({
      server: o.server,
      models: o.models,
      allowRemote: o.allowRemote,
      logger: log,
      ...(o.psk ? { psk: o.psk } : {}),
      ...(o.bootstrap ? { bootstrap: o.bootstrap } : {}),
      ...(o.host !== undefined ? { host: o.host } : {}),
    });
    const fleet = await Fleet.start({
      server: o.server.address,
      models: o.models,
      count: o.count,
      prefix: o.prefix,
      concurrency: o.concurrency,
      device,
      keepGoing: true,
      ...(prepare ? { prepare } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(o.cancelled ? { cancelled: o.cancelled } : {}),
    });
    const activity = new FleetActivity({
      ...(o.notifyEverySeconds !== undefined ? { notifyEverySeconds: o.notifyEverySeconds } : {}),
      ...(o.sendEverySeconds !== undefined ? { sendEverySeconds: o.sendEverySeconds } : {}),
      ...(o.queueMode ? { queueMode: o.queueMode } : {}),
      logger: log,
    });
    for (const d of fleet.devices) activity.attach(d);
    return new Simulation(fleet, activity, o.count, (Date.now() - t0) / 1000);
  }

  /** The figures so far. */
  summary(deregistered = 0): SimulationSummary {
    const f = this.fleet;
    const a = this.activity.counters;
    let updates = 0;
    let registers = 0;
    let requests = 0;
    let errors = 0;
    let sends = 0;
    for (const d of f.devices) {
      updates += d.registration.updates;
      registers += d.registration.registers;
      const c = d.counters;
      requests += c.requests;
      errors += c.errors;
      sends += c.sends;
    }
    const s: SimulationSummary = {
      requested: this.#requested,
      registered: f.size,
      failures: f.failures.length,
      startupSeconds: round(this.#startupSeconds),
      runSeconds: round((Date.now() - this.#startedAt) / 1000),
      updates,
      reRegistrations: registers - f.size,
      notificationsSent: a.notificationsSent,
      notificationsFailed: a.notificationsFailed,
      requestsAnswered: requests - errors,
      requestErrors: errors,
      sends,
      sendsFailed: a.sendsFailed,
      wakes: a.wakes,
      deregistered,
    };
    if (f.failures[0]) s.firstFailure = `${f.failures[0].endpoint}: ${f.failures[0].error}`;
    return s;
  }

  /** Stops the activity, de-registers every device, closes the sockets; returns the summary. */
  async stop(): Promise<SimulationSummary> {
    this.activity.detach();
    const before = this.summary();
    const deregistered = await this.fleet.stop();
    return { ...before, deregistered };
  }

  /** Closes every socket without De-register (a second Ctrl-C). */
  async abort(): Promise<void> {
    this.activity.detach();
    await this.fleet.close();
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;
