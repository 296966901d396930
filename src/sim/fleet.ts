import type { ModelLookup } from '../model/types.js';
import type { PeerAddress } from '../transport/types.js';
import { checkDescriptorBudget } from './fd-limit.js';
import { SimulatedDevice, type SimulatedDeviceOptions } from './simulated-device.js';

/**
 * The most devices one Fleet runs. Each device has its own UDP socket (its own port), because
 * the server addresses a device by the address:port it registered from; the real bound is the
 * process's open-file limit, checked at start (`checkDescriptorBudget`).
 */
export const MAX_FLEET_SIZE = 100_000;

/** Per-device settings that differ from the fleet's (a DTLS transport, a bootstrapped server). */
export type PreparedDevice = Partial<Pick<SimulatedDeviceOptions, 'server' | 'transport' | 'lifetime' | 'host'>>;
export type DevicePreparer = (index: number, endpoint: string) => Promise<PreparedDevice>;

export interface FleetProgress {
  registered: number;
  failed: number;
  total: number;
}

export interface FleetOptions {
  server: PeerAddress;
  models: ModelLookup;
  count: number;
  /** Endpoint names: `${prefix}${index}`; default "sim-". */
  prefix?: string;
  /** How many Registers are in flight at once (default 50). */
  concurrency?: number;
  /** Options for every device (endpoint, server and models are set by the fleet). */
  device?: Omit<SimulatedDeviceOptions, 'endpoint' | 'server' | 'models'>;
  /** Keep going when a device fails to come up (it is closed and counted); default: stop the fleet and throw. */
  keepGoing?: boolean;
  /** Called after each device's Register succeeds or fails. */
  onProgress?: (p: FleetProgress) => void;
  /** Per-device overrides, awaited before the device is created (e.g. a DTLS handshake). */
  prepare?: DevicePreparer;
  /** Stop bringing devices up when this says so (e.g. SIGINT during start-up). */
  cancelled?: () => boolean;
}

/** Runs `job` for 0..n-1, `limit` at a time. */
async function pool(n: number, limit: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), n) }, worker));
}

/**
 * Many simulated devices in one process, sharing one models instance (the registry is the
 * large part of a device's memory). Bounded: at most MAX_FLEET_SIZE devices, and no more than
 * the open-file limit allows.
 */
export class Fleet {
  readonly devices: SimulatedDevice[];
  /** Devices that could not be created or registered (only with `keepGoing`). */
  readonly failures: Array<{ endpoint: string; error: string }> = [];
  readonly #concurrency: number;

  private constructor(devices: SimulatedDevice[], concurrency: number) {
    this.devices = devices;
    this.#concurrency = concurrency;
  }

  /** Creates the devices and registers them, `concurrency` at a time. Without `keepGoing`, a failure stops the started ones. */
  static async start(o: FleetOptions): Promise<Fleet> {
    if (!Number.isInteger(o.count) || o.count < 1 || o.count > MAX_FLEET_SIZE) throw new RangeError(`fleet size must be 1..${MAX_FLEET_SIZE}`);
    checkDescriptorBudget(o.count);
    const prefix = o.prefix ?? 'sim-';
    const limit = Math.max(1, o.concurrency ?? 50);
    const slots: Array<SimulatedDevice | undefined> = new Array<SimulatedDevice | undefined>(o.count);
    const fleet = new Fleet([], limit);
    const progress: FleetProgress = { registered: 0, failed: 0, total: o.count };
    let firstError: unknown;
    // Creating and registering in one pool keeps every socket busy from the start and lets a
    // per-device preparation (a DTLS handshake) overlap with other devices' Registers.
    await pool(o.count, limit, async (i) => {
      if (firstError !== undefined || o.cancelled?.() === true) return;
      const endpoint = `${prefix}${i}`;
      let device: SimulatedDevice | undefined;
      try {
        const extra = o.prepare ? await o.prepare(i, endpoint) : {};
        device = await SimulatedDevice.create({ ...o.device, endpoint, server: o.server, models: o.models, ...extra });
        slots[i] = device;
        await device.register();
        progress.registered++;
      } catch (e) {
        progress.failed++;
        slots[i] = undefined;
        if (device) await device.close();
        if (o.keepGoing === true) fleet.failures.push({ endpoint, error: e instanceof Error ? e.message : String(e) });
        else firstError ??= e;
      }
      o.onProgress?.({ ...progress });
    });
    for (const d of slots) if (d !== undefined) fleet.devices.push(d);
    if (firstError !== undefined) {
      await fleet.close();
      throw firstError;
    }
    return fleet;
  }

  get size(): number {
    return this.devices.length;
  }

  /** De-registers every device and closes its socket, as many at a time as were registered at once. Returns how many the server confirmed. */
  async stop(): Promise<number> {
    let confirmed = 0;
    await pool(this.devices.length, this.#concurrency, async (i) => {
      if (await this.devices[i]!.stop()) confirmed++;
    });
    return confirmed;
  }

  /** Closes every socket without De-register. */
  async close(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.close()));
  }
}
