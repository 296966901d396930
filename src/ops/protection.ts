import { Lwm2mError } from '../errors.js';
import type { BucketLimit } from './rate-limiter.js';

/** Automatic protection against chatty or hostile devices (config key `protection`). */
export interface ProtectionConfig {
  /** Rate limits on device-initiated requests (Register, Update, Send, bootstrap). */
  enabled: boolean;
  /** Per endpoint name. */
  perDevice: BucketLimit;
  /** Per source IP address (several devices may share one behind NAT: keep it generous). */
  perAddress: BucketLimit;
  /** Quarantine a device that keeps exceeding its limit; the reason is recorded. */
  autoQuarantine: {
    enabled: boolean;
    /** Refused requests within `windowMs` that trigger it. */
    violations: number;
    windowMs: number;
  };
  /** Most buckets / violation counters kept in memory. */
  maxTracked: number;
}

/**
 * Sane defaults: on, well above what a well-behaved device sends (a Register, an Update per
 * lifetime, a few Sends) yet far below what floods the server; auto-quarantine off, since it
 * locks a device out until an operator acts.
 */
export const DEFAULT_PROTECTION: ProtectionConfig = {
  enabled: true,
  perDevice: { ratePerSec: 5, burst: 30 },
  // Generous: a fleet behind one NAT address re-registers at once after a power or network outage.
  perAddress: { ratePerSec: 500, burst: 2000 },
  autoQuarantine: { enabled: false, violations: 100, windowMs: 60_000 },
  maxTracked: 100_000,
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] };

function positive(v: number, name: string): void {
  if (!Number.isFinite(v) || v <= 0) throw new Lwm2mError('LWM2M_ERR_BAD_CONFIG', `protection.${name} must be a positive number, got ${v}`);
}

/** Merges input over the defaults and validates it once (frozen by the caller's config). */
export function resolveProtection(input: DeepPartial<ProtectionConfig> = {}): ProtectionConfig {
  const c: ProtectionConfig = {
    enabled: input.enabled ?? DEFAULT_PROTECTION.enabled,
    perDevice: { ...DEFAULT_PROTECTION.perDevice, ...input.perDevice },
    perAddress: { ...DEFAULT_PROTECTION.perAddress, ...input.perAddress },
    autoQuarantine: { ...DEFAULT_PROTECTION.autoQuarantine, ...input.autoQuarantine },
    maxTracked: input.maxTracked ?? DEFAULT_PROTECTION.maxTracked,
  };
  positive(c.perDevice.ratePerSec, 'perDevice.ratePerSec');
  positive(c.perDevice.burst, 'perDevice.burst');
  positive(c.perAddress.ratePerSec, 'perAddress.ratePerSec');
  positive(c.perAddress.burst, 'perAddress.burst');
  positive(c.autoQuarantine.violations, 'autoQuarantine.violations');
  positive(c.autoQuarantine.windowMs, 'autoQuarantine.windowMs');
  positive(c.maxTracked, 'maxTracked');
  return c;
}
