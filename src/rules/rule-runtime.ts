import type { TimerHandle } from '../clock.js';
import type { ConditionState } from './expression-eval.js';
import type { CompiledRule } from './rule-compile.js';

export interface RuleStats {
  evaluations: number;
  firings: number;
  loopsCut: number;
  rateLimited: number;
  lastFiredAt?: number;
  lastError?: string;
}

/**
 * What one loaded rule keeps in memory: its crossing bands and debounce timers per device and
 * path (keys "<ep>\0<path>"), and counters. Dropped with the rule; a device's entries are
 * dropped when it leaves.
 */
export class RuleRuntime {
  readonly rule: CompiledRule;
  readonly stats: RuleStats = { evaluations: 0, firings: 0, loopsCut: 0, rateLimited: 0 };
  readonly #bands = new Map<string, 'high' | 'low'>();
  readonly #debounce = new Map<string, { timer?: TimerHandle; fired: boolean }>();
  /** Set while the rule's own rate limit holds it back (reported once per episode). */
  limited = false;

  constructor(rule: CompiledRule) {
    this.rule = rule;
  }

  /** Condition state for one device and path; `scratch` (dry runs) never writes back. */
  stateFor(key: string, scratch = false): ConditionState {
    if (!scratch) return { band: (site) => this.#bands.get(`${key}\0${site}`), setBand: (site, band) => void this.#bands.set(`${key}\0${site}`, band) };
    const local = new Map<number, 'high' | 'low'>();
    return { band: (site) => local.get(site) ?? this.#bands.get(`${key}\0${site}`), setBand: (site, band) => void local.set(site, band) };
  }

  /**
   * Debounce: the condition holds (`held`) or not for this key. Returns true when a timer must
   * be started now (it held and no timer runs and the rule did not fire for this period yet).
   */
  debounce(key: string, held: boolean): boolean {
    const d = this.#debounce.get(key);
    if (!held) {
      d?.timer?.cancel();
      this.#debounce.delete(key);
      return false;
    }
    if (d) return false;
    this.#debounce.set(key, { fired: false });
    return true;
  }

  armed(key: string, timer: TimerHandle): void {
    const d = this.#debounce.get(key);
    if (d) d.timer = timer;
    else timer.cancel();
  }

  /** The timer ran out: true when the period is still open (it is then marked fired). */
  elapsed(key: string): boolean {
    const d = this.#debounce.get(key);
    if (!d || d.fired) return false;
    d.fired = true;
    delete d.timer;
    return true;
  }

  forgetDevice(endpoint: string): void {
    const prefix = `${endpoint}\0`;
    for (const k of this.#bands.keys()) if (k.startsWith(prefix)) this.#bands.delete(k);
    for (const [k, d] of this.#debounce) {
      if (k.startsWith(prefix)) {
        d.timer?.cancel();
        this.#debounce.delete(k);
      }
    }
  }

  dispose(): void {
    for (const d of this.#debounce.values()) d.timer?.cancel();
    this.#debounce.clear();
    this.#bands.clear();
  }
}
