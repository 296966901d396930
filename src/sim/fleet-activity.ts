import { systemClock, systemRandom, type Clock, type RandomSource, type TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { SimulatedDevice } from './simulated-device.js';

export interface FleetActivityOptions {
  /** Sensor values change this often (s); observers are notified as their pmin/pmax allow. */
  notifyEverySeconds?: number;
  /** Each device Sends (LwM2M 1.1 Core §6.4.6) its sensor value this often (s). */
  sendEverySeconds?: number;
  /** Queue mode: awake this long (s) after waking, then asleep for `sleepSeconds`. */
  queueMode?: { awakeSeconds: number; sleepSeconds: number };
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
}

export interface FleetActivityCounters {
  notificationsSent: number;
  notificationsFailed: number;
  sendsOk: number;
  sendsFailed: number;
  wakes: number;
}

/** The first path a device holds of these: what it Sends. */
const SEND_CANDIDATES = ['/3303/0/5700', '/3311/0/5850', '/3/0/9'];

/**
 * What a running fleet does between Register and De-register: sensor values drift, devices
 * Send, and queue-mode devices sleep and wake. Each device's timers start at a random offset so
 * a fleet does not hit the server in lock-step. Counts what happened for the summary.
 */
export class FleetActivity {
  readonly counters: FleetActivityCounters = { notificationsSent: 0, notificationsFailed: 0, sendsOk: 0, sendsFailed: 0, wakes: 0 };
  readonly #o: FleetActivityOptions;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #log: Logger;
  readonly #timers = new Map<SimulatedDevice, TimerHandle[]>();
  readonly #offs: Array<() => void> = [];

  constructor(o: FleetActivityOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#random = o.random ?? systemRandom;
    this.#log = o.logger ?? silentLogger();
  }

  /** Starts the activity of one (registered) device. */
  attach(d: SimulatedDevice): void {
    const o = this.#o;
    this.#offs.push(d.on('notified', (_obs, delivered) => (delivered ? this.counters.notificationsSent++ : this.counters.notificationsFailed++)));
    const timers: TimerHandle[] = [];
    this.#timers.set(d, timers);
    if (o.notifyEverySeconds !== undefined) d.startDrift(o.notifyEverySeconds * 1000);
    if (o.sendEverySeconds !== undefined) {
      const path = SEND_CANDIDATES.find((p) => d.value(p) !== undefined);
      if (path !== undefined) this.#repeat(timers, o.sendEverySeconds * 1000, () => this.#send(d, path));
    }
    if (o.queueMode !== undefined) this.#sleepCycle(d, timers, o.queueMode.awakeSeconds * 1000, o.queueMode.sleepSeconds * 1000);
  }

  /** Stops every timer (values stop changing; sleeping devices wake so they can De-register). */
  detach(): void {
    for (const [d, timers] of this.#timers) {
      for (const t of timers) t.cancel();
      d.stopDrift();
      // A device must be awake to De-register; wake without an Update (the De-register follows).
      if (d.asleep) void d.wake({ update: false });
    }
    this.#timers.clear();
    for (const off of this.#offs.splice(0)) off();
  }

  #repeat(timers: TimerHandle[], everyMs: number, fn: () => void): void {
    const tick = (): void => {
      fn();
      timers[slot] = this.#clock.setTimer(everyMs, tick);
    };
    const slot = timers.length;
    timers.push(this.#clock.setTimer(Math.floor(this.#random() * everyMs), tick));
  }

  #send(d: SimulatedDevice, path: string): void {
    if (d.asleep) return;
    d.send([path]).then(
      (res) => (res.code === '2.04' ? this.counters.sendsOk++ : this.counters.sendsFailed++),
      (err: unknown) => {
        this.counters.sendsFailed++;
        this.#log.debug({ err, endpoint: d.endpoint }, 'sim: Send failed');
      },
    );
  }

  /** Awake `awakeMs`, asleep `sleepMs`, repeated; the wake-up Update tells the server it is reachable. */
  #sleepCycle(d: SimulatedDevice, timers: TimerHandle[], awakeMs: number, sleepMs: number): void {
    const slot = timers.length;
    const fallAsleep = (): void => {
      d.sleep();
      timers[slot] = this.#clock.setTimer(sleepMs, wakeUp);
    };
    const wakeUp = (): void => {
      this.counters.wakes++;
      d.wake().catch((err: unknown) => this.#log.debug({ err, endpoint: d.endpoint }, 'sim: wake-up Update failed'));
      timers[slot] = this.#clock.setTimer(awakeMs, fallAsleep);
    };
    timers.push(this.#clock.setTimer(awakeMs + Math.floor(this.#random() * awakeMs), fallAsleep));
  }
}
