import { systemClock, type Clock } from '../../clock.js';
import { MAX_TRANSMIT_WAIT_MS } from './queue-defaults.js';

/**
 * Which queue-mode devices are awake (LwM2M 1.1 Transport, "Queue Mode Operation"):
 * a device in queue mode is reachable only for a while after it last sent something; the
 * spec's default for that window is the CoAP MAX_TRANSMIT_WAIT (93 s).
 */
export class Presence {
  readonly #clock: Clock;
  readonly #awakeMs: number;
  readonly #lastSeen = new Map<string, number>();

  constructor(options: { clock?: Clock; awakeWindowMs?: number } = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#awakeMs = options.awakeWindowMs ?? MAX_TRANSMIT_WAIT_MS;
  }

  get awakeWindowMs(): number {
    return this.#awakeMs;
  }

  /** The device just sent something: it is awake from now on for the window. */
  seen(endpoint: string): void {
    this.#lastSeen.set(endpoint, this.#clock.now());
  }

  isAwake(endpoint: string): boolean {
    const t = this.#lastSeen.get(endpoint);
    return t !== undefined && this.#clock.now() - t < this.#awakeMs;
  }

  /** Epoch ms when the device will be considered asleep, if it is awake. */
  sleepsAt(endpoint: string): number | undefined {
    const t = this.#lastSeen.get(endpoint);
    return t === undefined ? undefined : t + this.#awakeMs;
  }

  forget(endpoint: string): void {
    this.#lastSeen.delete(endpoint);
  }
}
