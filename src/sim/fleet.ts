import type { ModelLookup } from '../model/types.js';
import type { PeerAddress } from '../transport/types.js';
import { SimulatedDevice, type SimulatedDeviceOptions } from './simulated-device.js';

/** The most devices one Fleet runs: each has its own socket, and file descriptors are finite. */
export const MAX_FLEET_SIZE = 5000;

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
}

/**
 * Many simulated devices in one process, sharing one models instance (the registry is the
 * large part of a device's memory). Bounded: at most MAX_FLEET_SIZE devices.
 */
export class Fleet {
  readonly devices: SimulatedDevice[];

  private constructor(devices: SimulatedDevice[]) {
    this.devices = devices;
  }

  /** Creates the devices and registers them, `concurrency` at a time. On failure, the started ones are stopped. */
  static async start(o: FleetOptions): Promise<Fleet> {
    if (!Number.isInteger(o.count) || o.count < 1 || o.count > MAX_FLEET_SIZE) throw new RangeError(`fleet size must be 1..${MAX_FLEET_SIZE}`);
    const prefix = o.prefix ?? 'sim-';
    const devices: SimulatedDevice[] = [];
    const fleet = new Fleet(devices);
    try {
      for (let i = 0; i < o.count; i++) devices.push(await SimulatedDevice.create({ ...o.device, endpoint: `${prefix}${i}`, server: o.server, models: o.models }));
      const limit = Math.max(1, o.concurrency ?? 50);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < devices.length) await devices[next++]!.register();
      };
      await Promise.all(Array.from({ length: Math.min(limit, devices.length) }, worker));
    } catch (e) {
      await fleet.close();
      throw e;
    }
    return fleet;
  }

  get size(): number {
    return this.devices.length;
  }

  /** De-registers every device and closes its socket. */
  async stop(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.stop()));
  }

  /** Closes every socket without De-register. */
  async close(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.close()));
  }
}
