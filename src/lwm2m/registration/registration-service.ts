import { InternTable } from '../../intern-table.js';
import { pooledRandomHex } from '../../random-pool.js';
import { systemClock, type Clock, type TimerHandle } from '../../clock.js';
import { Lwm2mError } from '../../errors.js';
import { isThenable } from '../../thenable.js';
import type { EventBus } from '../../events.js';
import { silentLogger, type Logger } from '../../log.js';
import type { Registration, RegistrationStore } from '../../store/types.js';
import type { PeerAddress, PeerIdentity } from '../../transport/types.js';
import type { RegistrationLinks } from './object-links.js';
import type { RegisterParams, UpdateParams } from './params.js';

export interface RegisterRequest {
  params: RegisterParams;
  links: RegistrationLinks;
  address: PeerAddress;
  transport: 'coap' | 'coaps';
  identity?: PeerIdentity;
}

export interface UpdateRequest {
  params: UpdateParams;
  /** New object links, when the Update carries a payload. */
  links?: RegistrationLinks;
  address: PeerAddress;
  identity?: PeerIdentity;
}

/**
 * A check run before a Register or Update is accepted (DTLS identity binding, quarantine...).
 * It throws a Lwm2mError (e.g. 4.03) to refuse.
 */
export type RegistrationGuard = (req: { endpoint: string; address: PeerAddress; transport: 'coap' | 'coaps'; identity?: PeerIdentity }) => Promise<void> | void;

export interface RegistrationServiceOptions {
  store: RegistrationStore;
  events: EventBus;
  clock?: Clock;
  logger?: Logger;
  /** Extra time after the lifetime before a registration is removed (ms). */
  expiryGraceMs?: number;
  /** How often expired registrations are swept (ms). */
  sweepIntervalMs?: number;
  /**
   * Move a registration to the source address of each Update (LwM2M 1.1 Transport §6.4.2: a
   * client whose address changed sends an Update). Off for clients that send Updates from a
   * throw-away port while listening on the registration port.
   */
  followAddressOnUpdate?: boolean;
  newId?: () => string;
}

/** Register, Update, De-register and lifetime expiry (LwM2M 1.1 Core §6.2). */
export class RegistrationService {
  readonly #store: RegistrationStore;
  readonly #events: EventBus;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #graceMs: number;
  readonly #sweepMs: number;
  readonly #followAddress: boolean;
  readonly #newId: () => string;
  readonly #guards: RegistrationGuard[] = [];
  #sweepTimer: TimerHandle | undefined;

  constructor(o: RegistrationServiceOptions) {
    this.#store = o.store;
    this.#events = o.events;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.logger ?? silentLogger();
    this.#graceMs = o.expiryGraceMs ?? 2000;
    this.#sweepMs = o.sweepIntervalMs ?? 1000;
    this.#followAddress = o.followAddressOnUpdate ?? true;
    this.#newId = o.newId ?? (() => pooledRandomHex(5));
  }

  addGuard(guard: RegistrationGuard): void {
    this.#guards.push(guard);
  }

  get store(): RegistrationStore {
    return this.#store;
  }

  /** Purges registrations that expired while the server was down, then sweeps periodically. */
  async start(): Promise<void> {
    await this.sweep();
    this.#scheduleSweep();
  }

  stop(): void {
    this.#sweepTimer?.cancel();
    this.#sweepTimer = undefined;
  }

  async register(req: RegisterRequest): Promise<Registration> {
    const { params } = req;
    const checked = this.#check({ endpoint: params.endpoint, address: req.address, transport: req.transport, identity: req.identity });
    if (checked !== undefined) await checked;
    const now = this.#clock.now();
    const reg: Registration = {
      id: this.#newId(),
      endpoint: params.endpoint,
      lifetime: params.lifetime,
      lwm2mVersion: params.lwm2mVersion,
      binding: params.binding,
      queueMode: params.queueMode,
      rootPath: req.links.rootPath,
      supportedFormats: req.links.supportedFormats,
      objectLinks: req.links.objectLinks,
      address: { address: internHost(req.address.address), port: req.address.port },
      transport: req.transport,
      registeredAt: now,
      lastUpdate: now,
      expiresAt: now + params.lifetime * 1000,
    };
    if (params.sms !== undefined) reg.sms = params.sms;
    if (req.identity) reg.identity = req.identity;
    const replaced = await this.#store.add(reg);
    this.#log.info({ endpoint: reg.endpoint, id: reg.id, lifetime: reg.lifetime, version: reg.lwm2mVersion, replaced: replaced?.id }, 'registered');
    this.#events.emit('registered', replaced ? { registration: reg, replaced } : { registration: reg });
    return reg;
  }

  async update(id: string, req: UpdateRequest): Promise<Registration> {
    const current = this.#store.getById(id);
    if (!current) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no registration ${id}`);
    const checked = this.#check({ endpoint: current.endpoint, address: req.address, transport: current.transport, identity: req.identity ?? current.identity });
    if (checked !== undefined) await checked;
    if (current.identity && !sameIdentity(current.identity, req.identity)) {
      throw new Lwm2mError('LWM2M_ERR_FORBIDDEN', 'update from a different security identity');
    }
    const now = this.#clock.now();
    const { params } = req;
    const next: Registration = { ...current, lastUpdate: now };
    if (params.lifetime !== undefined) next.lifetime = params.lifetime;
    if (params.binding !== undefined) next.binding = params.binding;
    if (params.queueMode !== undefined) next.queueMode = params.queueMode;
    if (params.sms !== undefined) next.sms = params.sms;
    if (req.links) {
      next.objectLinks = req.links.objectLinks;
      next.rootPath = req.links.rootPath;
      if (req.links.supportedFormats.length > 0) next.supportedFormats = req.links.supportedFormats;
    }
    if (this.#followAddress) next.address = { address: internHost(req.address.address), port: req.address.port };
    next.expiresAt = now + next.lifetime * 1000;
    const previous = await this.#store.update(next);
    if (!previous) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no registration ${id}`);
    this.#log.debug({ endpoint: next.endpoint, id }, 'registration updated');
    this.#events.emit('updated', { registration: next, previous });
    return next;
  }

  async deregister(id: string, by: 'device' | 'operator' = 'device', identity?: PeerIdentity): Promise<Registration> {
    const current = this.#store.getById(id);
    if (!current) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no registration ${id}`);
    if (by === 'device' && current.identity && !sameIdentity(current.identity, identity)) {
      throw new Lwm2mError('LWM2M_ERR_FORBIDDEN', 'de-register from a different security identity');
    }
    const gone = await this.#store.remove(id);
    if (!gone) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no registration ${id}`);
    this.#log.info({ endpoint: gone.endpoint, id, by }, 'deregistered');
    this.#events.emit('deregistered', { registration: gone, by });
    return gone;
  }

  /** Operator-side de-registration by endpoint name. */
  async deregisterEndpoint(endpoint: string): Promise<Registration> {
    const reg = this.#store.getByEndpoint(endpoint);
    if (!reg) throw new Lwm2mError('LWM2M_ERR_UNKNOWN_DEVICE', `no device "${endpoint}" is registered`);
    return this.deregister(reg.id, 'operator');
  }

  /** Removes registrations past lifetime + grace and emits `expired` for each. */
  async sweep(): Promise<Registration[]> {
    const gone = await this.#store.removeExpired(this.#clock.now() - this.#graceMs);
    for (const registration of gone) {
      this.#log.info({ endpoint: registration.endpoint, id: registration.id }, 'registration expired');
      this.#events.emit('expired', { registration });
    }
    return gone;
  }

  #scheduleSweep(): void {
    this.#sweepTimer = this.#clock.setTimer(this.#sweepMs, () => {
      this.sweep()
        .catch((e: unknown) => this.#log.error({ err: e }, 'expiry sweep failed'))
        .finally(() => {
          if (this.#sweepTimer) this.#scheduleSweep();
        });
    });
  }

  /** Runs the guards in order; a promise only once a guard needs to wait (the store of X.509 identities). */
  #check(req: Parameters<RegistrationGuard>[0], first = 0): Promise<void> | undefined {
    for (let i = first; i < this.#guards.length; i++) {
      const r = this.#guards[i]!(req);
      if (isThenable<void>(r)) return Promise.resolve(r).then(() => this.#check(req, i + 1));
    }
    return undefined;
  }
}

function sameIdentity(a: PeerIdentity, b: PeerIdentity | undefined): boolean {
  if (!b || a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'psk':
      return a.identity === (b as typeof a).identity;
    case 'rpk':
      return Buffer.from(a.publicKey).equals(Buffer.from((b as typeof a).publicKey));
    case 'x509':
      return a.commonName === (b as typeof a).commonName;
  }
}

/**
 * One string per host address: each datagram brings its own copy of the sender's address, and
 * a fleet behind a few gateways (or all on loopback) would otherwise keep one per registration.
 */
const hosts = new InternTable<string>();
function internHost(address: string): string {
  return hosts.get(address, () => address);
}
