import type { IncomingRequest, OutgoingResponse } from '../coap/types.js';
import { systemClock, type Clock } from '../clock.js';
import { Lwm2mError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { Route } from '../lwm2m/router.js';
import type { RegistrationStore } from '../store/types.js';
import { peerKey } from '../transport/types.js';
import type { AuditLog } from './audit-log.js';
import type { ProtectionConfig } from './protection.js';
import type { QuarantineService } from './quarantine-service.js';
import { GenerationalMap } from '../generational-map.js';
import { RateLimiter } from './rate-limiter.js';

export interface ThrottleEvent {
  scope: 'device' | 'address';
  key: string;
  endpoint?: string;
  at: number;
}

export interface DeviceGateOptions {
  quarantine: QuarantineService;
  registrations: RegistrationStore;
  /** Off (or `enabled: false`): no rate limits, quarantine only. */
  protection?: ProtectionConfig;
  audit?: AuditLog;
  clock?: Clock;
  logger?: Logger;
  /** Counts for /metrics: a refused (quarantined) or throttled request. */
  onRefused?: (why: 'quarantined' | 'throttled', scope?: 'device' | 'address') => void;
  /** The first throttled request of a key in each window (for the event stream). */
  onThrottle?: (e: ThrottleEvent) => void;
}

/** Device-initiated interfaces the gate stands in front of: registration, Send, bootstrap. */
const GUARDED = new Set(['rd', 'dp', 'bs']);

function queryParam(query: string[], name: string): string | undefined {
  const hit = query.find((q) => q.startsWith(`${name}=`));
  return hit === undefined ? undefined : hit.slice(name.length + 1);
}

/**
 * A CoAP route placed first in `routeRequests`: it answers nothing itself, but refuses with
 * 4.03 every Register, Update, De-register, Send (`/dp`) and Bootstrap-Request (`/bs`) of a
 * quarantined device (by name, DTLS identity or address), and with 4.29 Too Many Requests
 * (RFC 8516) a device or address over its rate limit.
 */
export function deviceGate(o: DeviceGateOptions): Route {
  const clock = o.clock ?? systemClock;
  const log = o.logger ?? silentLogger();
  const p = o.protection?.enabled ? o.protection : undefined;
  const perDevice = p && new RateLimiter(p.perDevice, clock, p.maxTracked);
  const perAddress = p && new RateLimiter(p.perAddress, clock, p.maxTracked);
  /** Refusals per key in the current window: [window start, count]; about maxTracked keys. */
  const violations = p ? new GenerationalMap<string, [number, number]>(p.maxTracked) : undefined;

  const endpointOf = (req: IncomingRequest): string | undefined => {
    const [first] = req.path;
    if ((first === 'rd' && req.path.length === 1) || first === 'bs') return queryParam(req.query, 'ep');
    if (first === 'rd' && req.path.length === 2) {
      const byId = o.registrations.getById(req.path[1]!);
      if (byId) return byId.endpoint;
    }
    return o.registrations.getByAddress(req.peer)?.endpoint;
  };

  const throttled = async (scope: 'device' | 'address', key: string, endpoint: string | undefined): Promise<never> => {
    o.onRefused?.('throttled', scope);
    const now = clock.now();
    const windowMs = p!.autoQuarantine.windowMs;
    const vkey = `${scope}:${key}`;
    let v = violations!.get(vkey);
    if (!v || now - v[0] >= windowMs) {
      v = [now, 0];
      violations!.set(vkey, v);
      const e: ThrottleEvent = endpoint === undefined ? { scope, key, at: now } : { scope, key, endpoint, at: now };
      log.warn(e, 'device throttled');
      await o.audit?.record({ kind: 'system', component: 'protection' }, 'throttle', endpoint ?? key, { scope, key });
      o.onThrottle?.(e);
    }
    v[1]++;
    const aq = p!.autoQuarantine;
    if (aq.enabled && endpoint !== undefined && v[1] >= aq.violations && !(await o.quarantine.get(endpoint))) {
      const reason = `automatic: ${v[1]} requests over the ${scope} rate limit within ${Math.round(windowMs / 1000)} s`;
      await o.quarantine.quarantine(endpoint, { reason, by: { kind: 'system', component: 'protection' } });
    }
    throw new Lwm2mError('LWM2M_ERR_SERVICE_UNAVAILABLE', 'too many requests', { coapCode: '4.29' });
  };

  // Answers at once (lets the request through, or refuses a quarantined device); only a
  // throttled request waits, for its audit record.
  return (req: IncomingRequest): undefined | Promise<OutgoingResponse | undefined> => {
    if (!GUARDED.has(req.path[0] ?? '')) return undefined;
    // Nobody quarantined and no rate limits (the common case): nothing to look up.
    if (p === undefined && o.quarantine.empty) return undefined;
    const endpoint = endpointOf(req);
    const registrationId = req.path[0] === 'rd' && req.path.length === 2 ? req.path[1] : undefined;
    const rec = o.quarantine.check({ address: req.peer, endpoint, registrationId, identity: req.identity });
    if (rec) {
      o.onRefused?.('quarantined');
      log.info({ endpoint: rec.endpoint, claimed: endpoint, address: peerKey(req.peer), path: req.path[0] }, 'quarantined device refused');
      throw new Lwm2mError('LWM2M_ERR_FORBIDDEN', `device "${rec.endpoint}" is quarantined`);
    }
    if (perAddress && !perAddress.take(req.peer.address)) return throttled('address', req.peer.address, endpoint);
    if (perDevice && endpoint !== undefined && !perDevice.take(endpoint)) return throttled('device', endpoint, endpoint);
    return undefined;
  };
}
