import { systemClock, type Clock } from '../clock.js';
import { Lwm2mError } from '../errors.js';
import { GenerationalMap } from '../generational-map.js';
import { silentLogger, type Logger } from '../log.js';
import type { RegistrationGuard } from '../lwm2m/registration/registration-service.js';
import type { RegistrationStore } from '../store/types.js';
import { peerKey, type PeerAddress, type PeerIdentity } from '../transport/types.js';
import type { AuditLog } from './audit-log.js';
import { identityKey } from './identity-keys.js';
import type { Actor, QuarantineRecord, QuarantineStore } from './types.js';

/** What the stream and the rules see when a device is quarantined or released. */
export interface QuarantineEvent {
  action: 'quarantined' | 'released';
  endpoint: string;
  reason?: string;
  by: Actor;
  at: number;
}

/** Who is knocking: a Register names an endpoint; Update, Send and bootstrap may not. */
export interface PeerCheck {
  endpoint?: string | undefined;
  /** The registration an Update or De-register names (`/rd/<id>`). */
  registrationId?: string | undefined;
  address: PeerAddress;
  identity?: PeerIdentity | undefined;
}

export interface QuarantineServiceOptions {
  store: QuarantineStore;
  registrations: RegistrationStore;
  audit?: AuditLog;
  clock?: Clock;
  logger?: Logger;
  /**
   * Called after the record is stored, to tear the device down: the server de-registers it,
   * cancels its observations, drops its queued requests and closes its DTLS sessions. A
   * failure is logged; the quarantine stands.
   */
  onQuarantine?: (endpoint: string, rec: QuarantineRecord) => Promise<void> | void;
  onEvent?: (e: QuarantineEvent) => void;
}

/**
 * The identities a device was last seen with, remembered so a quarantine can bind them. Small
 * arrays, newest last, not Sets: one record per device, and two Sets cost ~560 bytes of heap
 * where two one-element arrays cost ~60.
 */
interface Seen {
  identities: string[];
  addresses: string[];
}

/** How many addresses and identities a device keeps: a device roaming through many keeps its latest few. */
const SEEN_PER_DEVICE = 8;

function remember(list: string[], key: string): void {
  const at = list.indexOf(key);
  if (at === list.length - 1 && at >= 0) return;
  if (at >= 0) list.splice(at, 1);
  list.push(key);
  if (list.length > SEEN_PER_DEVICE) list.shift();
}

const MAX_REMEMBERED = 100_000;

/**
 * Quarantine: an operator (or the automatic protection) shuts a device out. From then on its
 * Registers, Updates, Sends and bootstrap requests are refused with 4.03 Forbidden (LwM2M 1.1
 * Core §6.2.1 lets the server refuse a registration for any authorization reason), by name,
 * by the DTLS identity it used and by the address it used, until it is released.
 */
export class QuarantineService {
  readonly #o: QuarantineServiceOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  /** About MAX_REMEMBERED devices; the ones not seen for longest are forgotten. */
  readonly #seen = new GenerationalMap<string, Seen>(MAX_REMEMBERED);

  constructor(o: QuarantineServiceOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.logger ?? silentLogger();
  }

  get store(): QuarantineStore {
    return this.#o.store;
  }

  /**
   * Remember where and as whom a device was seen, once its registration no longer says so (it
   * moved, was replaced or is gone): quarantine() binds these and the current registration's.
   */
  noteSeen(endpoint: string, address: PeerAddress, identity?: PeerIdentity): void {
    const s = this.#seen.get(endpoint);
    if (s === undefined) {
      this.#seen.set(endpoint, { identities: identity ? [identityKey(identity)] : [], addresses: [peerKey(address)] });
      return;
    }
    remember(s.addresses, peerKey(address));
    if (identity) remember(s.identities, identityKey(identity));
  }

  async quarantine(endpoint: string, o: { reason?: string; by: Actor }): Promise<QuarantineRecord> {
    if (endpoint === '' || endpoint.length > 256) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'endpoint must be 1-256 characters');
    const reg = this.#o.registrations.getByEndpoint(endpoint);
    const previous = this.#o.store.get(endpoint);
    const identities = new Set(previous?.identities ?? []);
    const addresses = new Set(previous?.addresses ?? []);
    const seen = this.#seen.get(endpoint);
    for (const i of seen?.identities ?? []) identities.add(i);
    for (const a of seen?.addresses ?? []) addresses.add(a);
    if (reg?.identity) identities.add(identityKey(reg.identity));
    if (reg) addresses.add(peerKey(reg.address));
    const rec: QuarantineRecord = {
      endpoint,
      reason: o.reason ?? previous?.reason ?? '',
      since: previous?.since ?? this.#clock.now(),
      by: previous?.by ?? o.by,
      identities: [...identities],
      addresses: [...addresses],
      registrationIds: [...new Set([...(previous?.registrationIds ?? []), ...(reg ? [reg.id] : [])])].slice(-16),
    };
    await this.#o.store.put(rec);
    this.#log.warn({ endpoint, reason: rec.reason, by: actorName(o.by), identities: rec.identities.length, addresses: rec.addresses.length }, 'device quarantined');
    await this.#o.audit?.record(o.by, 'quarantine', endpoint, { reason: rec.reason, identities: rec.identities, addresses: rec.addresses });
    try {
      await this.#o.onQuarantine?.(endpoint, rec);
    } catch (e) {
      this.#log.error({ err: e, endpoint }, 'tearing down a quarantined device failed');
    }
    this.#o.onEvent?.({ action: 'quarantined', endpoint, reason: rec.reason, by: o.by, at: this.#clock.now() });
    return rec;
  }

  async release(endpoint: string, by: Actor): Promise<QuarantineRecord> {
    const gone = await this.#o.store.remove(endpoint);
    if (!gone) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `device "${endpoint}" is not quarantined`);
    this.#log.info({ endpoint, by: actorName(by) }, 'device released from quarantine');
    await this.#o.audit?.record(by, 'release', endpoint, { reason: gone.reason, since: gone.since });
    this.#o.onEvent?.({ action: 'released', endpoint, by, at: this.#clock.now() });
    return gone;
  }

  get(endpoint: string): QuarantineRecord | undefined {
    return this.#o.store.get(endpoint);
  }

  /** Whether any device is quarantined. */
  get empty(): boolean {
    return this.#o.store.size === 0;
  }

  list(): Promise<QuarantineRecord[]> {
    return this.#o.store.list();
  }

  /** The quarantine that applies to this peer: by endpoint name, DTLS identity or address. */
  check(p: PeerCheck): QuarantineRecord | undefined {
    const store = this.#o.store;
    if (store.size === 0) return undefined;
    return (
      (p.endpoint !== undefined ? store.get(p.endpoint) : undefined) ??
      (p.registrationId !== undefined ? store.findByRegistrationId(p.registrationId) : undefined) ??
      (p.identity ? store.findByIdentity(identityKey(p.identity)) : undefined) ??
      store.findByAddress(peerKey(p.address))
    );
  }

  /** Throws 4.03 Forbidden when the peer is quarantined. For the Send and bootstrap routes. */
  assertAllowed(p: PeerCheck, what: string): void {
    const rec = this.check(p);
    if (!rec) return;
    this.#log.info({ endpoint: rec.endpoint, claimed: p.endpoint, address: peerKey(p.address), what }, 'quarantined device refused');
    throw new Lwm2mError('LWM2M_ERR_FORBIDDEN', `device "${rec.endpoint}" is quarantined`);
  }

  /** For RegistrationService.addGuard: Register and Update of a quarantined device get 4.03. */
  guard(): RegistrationGuard {
    return (req) => this.assertAllowed(req, 'registration');
  }
}

export function actorName(a: Actor): string {
  return a.kind === 'token' ? `token:${a.name}` : `system:${a.component}`;
}
