import type { IncomingResponse, NotificationHandler, OutgoingRequest } from '../../coap/types.js';
import { systemClock, type Clock } from '../../clock.js';
import { parsePath } from '../../content/path.js';
import type { EventBus, ServerEventMap } from '../../events.js';
import { silentLogger, type Logger } from '../../log.js';
import type { ModelLookup } from '../../model/types.js';
import { samePeer } from '../../transport/types.js';
import type { ObjectStore, ObservationRecord, ObservationStore, Registration, RegistrationStore } from '../../store/types.js';
import { codecContext } from '../management/codec-context.js';
import { storeValues } from '../management/device-manager.js';
import type { DevicePort } from '../management/device-port.js';
import type { Operation, OperationResult, PathValue } from '../management/operation.js';
import { buildRequest, decodeResponse, interpretResponse, toPathValue, type BuiltRequest } from '../management/request-builder.js';
import { failWith, failure } from '../management/results.js';

type ObserveOp = Extract<Operation, { op: 'observe' | 'observe-composite' }>;

export interface ObservationServiceOptions {
  port: DevicePort;
  registrations: RegistrationStore;
  observations: ObservationStore;
  models: ModelLookup;
  events: EventBus;
  objectStore?: ObjectStore;
  clock?: Clock;
  logger?: Logger;
  /** Set observations up again when a device registers anew (it forgot them). Default true. */
  reobserveOnRegister?: boolean;
  /** Called whenever a device shows it is awake (a notification arrived). */
  onDeviceSeen?: (endpoint: string) => void;
}

/**
 * Observe and Cancel Observation (LwM2M 1.1 Core §6.4, RFC 7641), with observations kept in a
 * store: notifications that arrive after a restart are matched by token and decoded, and a
 * device's observations are re-established when it registers again.
 */
export class ObservationService {
  readonly #o: ObservationServiceOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  /** Live records by token (hex): notifications are matched synchronously. */
  readonly #byToken = new Map<string, ObservationRecord>();
  /** Per live record: the target path and format its notifications are decoded with. */
  readonly #decodings = new WeakMap<ObservationRecord, BuiltRequest>();
  /**
   * Records known from the store and not yet handed to the CoAP layer: start() only files them
   * by token, and the first notification of each (an orphan to the CoAP layer) attaches it.
   */
  readonly #unattached = new Set<ObservationRecord>();

  constructor(o: ObservationServiceOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.logger ?? silentLogger();
  }

  /**
   * Takes up every stored observation whose registration is still current. They reach the CoAP
   * layer one by one, on their first notification (acceptOrphan): a restart with 100,000 of
   * them then builds no token buffer, handler or CoAP entry for those that never notify again.
   */
  async start(): Promise<void> {
    for (const rec of this.#o.observations.values()) {
      const reg = this.#o.registrations.getByEndpoint(rec.endpoint);
      if (reg && reg.id === rec.registrationId) {
        this.#byToken.set(rec.token, rec);
        this.#unattached.add(rec);
      }
    }
  }

  /**
   * Offer for notifications whose token the CoAP layer does not know: the first one of an
   * observation taken up from the store, or one from an address the device has not registered
   * (yet). Returns whether the notification belongs to an observation of ours.
   */
  acceptOrphan(res: IncomingResponse): boolean {
    const rec = this.#byToken.get(res.token.toString('hex'));
    if (!rec) return false;
    if (this.#unattached.has(rec)) {
      const reg = this.#o.registrations.getByEndpoint(rec.endpoint);
      if (reg && reg.id === rec.registrationId && samePeer(reg.address, res.peer)) {
        // Attached now, the CoAP layer delivers this notification itself, as any later one:
        // freshness (RFC 7641 §3.4) and the rest of a Block2 notification (RFC 7959 §3.4).
        this.#unattached.delete(rec);
        this.#attach(rec, reg);
        return true;
      }
    }
    void this.#handle(rec, res);
    return true;
  }

  async observe(reg: Registration, op: ObserveOp, opts: { timeoutMs?: number } = {}): Promise<OperationResult> {
    const paths = op.op === 'observe' ? [op.path] : op.paths;
    // An observation of the same paths replaces the old one (no duplicate notifications).
    for (const old of this.#o.observations.listByEndpoint(reg.endpoint)) {
      if (samePaths(old.paths, paths)) await this.#drop(old, 'passive', 'replaced');
    }
    const ctx = codecContext(reg, this.#o.models, this.#clock.now());
    let built: BuiltRequest;
    try {
      built = buildRequest(reg, op, ctx);
    } catch (e) {
      return failure(e);
    }
    let recRef: ObservationRecord | undefined;
    const handler: NotificationHandler = (res) => {
      if (recRef) void this.#handle(recRef, res);
    };
    let observation;
    try {
      observation = await this.#o.port.observe(reg.address, opts.timeoutMs === undefined ? built.request : Object.assign({}, built.request, { timeoutMs: opts.timeoutMs }), handler);
    } catch (e) {
      return failure(e);
    }
    // When the first values arrived (their time in the object store).
    const receivedAt = this.#clock.now();
    let result: OperationResult;
    try {
      result = interpretResponse(op, built, observation.response, ctx);
    } catch (e) {
      result = failure(e, observation.response.code);
    }
    // A 2.05 without an Observe option means the device declined to observe (RFC 7641 §3.1).
    if (!result.ok || observation.response.observe === undefined) {
      if (result.ok) result = Object.assign(failWith('LWM2M_ERR_DEVICE_ERROR', 'the device answered without establishing an observation'), { code: observation.response.code });
      this.#o.port.detachObservation(reg.address, observation.token);
      return result;
    }
    const rec: ObservationRecord = {
      token: observation.token.toString('hex'),
      endpoint: reg.endpoint,
      registrationId: reg.id,
      paths,
      composite: op.op === 'observe-composite',
      peer: reg.address,
      createdAt: receivedAt,
      lastSequence: observation.response.observe,
    };
    if (op.format !== undefined) rec.accept = op.format;
    recRef = rec;
    this.#byToken.set(rec.token, rec);
    // The first values go to the object store now, before any notification of this observation
    // can be handled: a notification is newer and must end up the latest value (at the same
    // millisecond too), however long the record takes to be written.
    const values = result.values;
    const objectStore = this.#o.objectStore;
    await Promise.all([this.#o.observations.add(rec), values && objectStore ? storeValues(objectStore, reg.endpoint, values, 'notify', receivedAt) : undefined]);
    result.token = rec.token;
    result.sequence = observation.response.observe;
    this.#o.events.emit('notification', { endpoint: reg.endpoint, token: rec.token, paths, values: result.values ?? [], sequence: observation.response.observe });
    return result;
  }

  /** Cancels the observation of exactly these paths (active: GET Observe=1; passive: forget + RST). */
  async cancel(endpoint: string, paths: string[], mode: 'active' | 'passive' = 'active'): Promise<OperationResult> {
    const recs = this.#o.observations.listByEndpoint(endpoint).filter((r) => samePaths(r.paths, paths));
    if (recs.length === 0) return failWith('LWM2M_ERR_NOT_FOUND', `no observation of ${paths.join(', ')} on "${endpoint}"`);
    for (const rec of recs) await this.#drop(rec, mode, 'cancelled');
    return { ok: true };
  }

  async list(endpoint?: string): Promise<ObservationRecord[]> {
    return endpoint === undefined ? this.#o.observations.list() : this.#o.observations.listByEndpoint(endpoint);
  }

  /** Whether the server holds observations of this device (live or kept from an old registration). */
  holds(endpoint: string): boolean {
    return this.#o.observations.listByEndpoint(endpoint).length > 0;
  }

  /** A new registration of a device: its old tokens are dead; observe the same paths again. */
  async reestablish(reg: Registration): Promise<void> {
    const old = this.#o.observations.listByEndpoint(reg.endpoint);
    if (old.length === 0) return;
    for (const rec of old) {
      this.#forget(rec);
      await this.#o.observations.remove(rec.token);
    }
    if (this.#o.reobserveOnRegister === false) return;
    for (const rec of old) {
      const op: ObserveOp = rec.composite ? { op: 'observe-composite', paths: rec.paths } : { op: 'observe', path: rec.paths[0]! };
      if (rec.accept !== undefined) op.format = rec.accept;
      const result = await this.observe(reg, op);
      if (!result.ok) this.#log.warn({ endpoint: reg.endpoint, paths: rec.paths, error: result.error }, 're-observe after registration failed');
    }
  }

  /** The registration is gone (de-registered, expired): stop matching its tokens, keep the
   * records so the next registration re-establishes them. */
  detachEndpoint(endpoint: string): void {
    // The store's index by endpoint, not a scan of every live token: a de-registration costs
    // the same with 10 observations on the server as with 100,000.
    for (const stored of this.#o.observations.listByEndpoint(endpoint)) {
      const rec = this.#byToken.get(stored.token);
      if (rec) this.#forget(rec);
    }
  }

  async removeEndpoint(endpoint: string): Promise<void> {
    this.detachEndpoint(endpoint);
    await this.#o.observations.removeByEndpoint(endpoint);
  }

  #attach(rec: ObservationRecord, reg: Registration): void {
    this.#byToken.set(rec.token, rec);
    // The original request lets the CoAP layer fetch the rest of a Block2 notification and
    // send an active cancel for an observation it only knows from the store.
    this.#o.port.attachObservation(reg.address, Buffer.from(rec.token, 'hex'), (res) => void this.#handle(rec, res), () => this.#requestFor(rec, reg));
  }

  #requestFor(rec: ObservationRecord, reg: Registration): OutgoingRequest {
    const op: ObserveOp = rec.composite ? { op: 'observe-composite', paths: rec.paths } : { op: 'observe', path: rec.paths[0]! };
    if (rec.accept !== undefined) op.format = rec.accept;
    return buildRequest(reg, op, codecContext(reg, this.#o.models, this.#clock.now())).request;
  }

  /** Drops `rec` from the records this service matches notifications against. */
  #unfile(rec: ObservationRecord): void {
    this.#byToken.delete(rec.token);
    this.#unattached.delete(rec);
  }

  #forget(rec: ObservationRecord): void {
    this.#unfile(rec);
    this.#o.port.detachObservation(rec.peer, Buffer.from(rec.token, 'hex'));
  }

  async #drop(rec: ObservationRecord, mode: 'active' | 'passive', reason: string): Promise<void> {
    this.#unfile(rec);
    await this.#o.observations.remove(rec.token);
    try {
      const req = mode === 'active' ? await this.#cancelRequest(rec) : undefined;
      await this.#o.port.cancelObservation(rec.peer, Buffer.from(rec.token, 'hex'), mode, req);
    } catch (e) {
      this.#log.debug({ endpoint: rec.endpoint, err: e }, 'cancel observation: device did not confirm');
    }
    this.#o.events.emit('observation-ended', { endpoint: rec.endpoint, token: rec.token, paths: rec.paths, reason });
  }

  async #cancelRequest(rec: ObservationRecord): Promise<OutgoingRequest | undefined> {
    const reg = this.#o.registrations.getByEndpoint(rec.endpoint);
    return reg ? Object.assign({}, this.#requestFor(rec, reg), { observe: 1 }) : undefined;
  }

  /**
   * One notification: decoded, stored, then emitted. Not an async function: this runs for every
   * notification, and the async frame suspended across the store's commit was its largest
   * allocation (about 0.85 KB per notification, sampling heap profile).
   */
  #handle(rec: ObservationRecord, res: IncomingResponse): Promise<void> | undefined {
    this.#o.onDeviceSeen?.(rec.endpoint);
    if (!res.code.startsWith('2.')) return this.#ended(rec, res.code);
    const reg = this.#o.registrations.getByEndpoint(rec.endpoint);
    if (!reg) return undefined;
    const now = this.#clock.now();
    let values: PathValue[];
    try {
      values = decodeResponse(res, this.#decoding(rec), codecContext(reg, this.#o.models, now)).map(toPathValue);
    } catch (e) {
      this.#log.warn({ endpoint: rec.endpoint, paths: rec.paths, err: (e as Error).message }, 'undecodable notification dropped');
      return undefined;
    }
    const event: ServerEventMap['notification'] = { endpoint: rec.endpoint, token: rec.token, paths: rec.paths, values };
    if (res.observe !== undefined) event.sequence = res.observe;
    const store = this.#o.objectStore;
    if (!store) {
      this.#emitNotification(event);
      return undefined;
    }
    // ObjectStore.put reports its errors by rejecting, never by throwing.
    return storeValues(store, rec.endpoint, values, 'notify', now).then(
      () => this.#emitNotification(event),
      (e: unknown) => this.#log.warn({ endpoint: rec.endpoint, paths: rec.paths, err: (e as Error).message }, 'notification not stored'),
    );
  }

  /** A listener that throws is logged: the promise of #handle is never awaited, so it must not reject. */
  #emitNotification(event: ServerEventMap['notification']): void {
    try {
      this.#o.events.emit('notification', event);
    } catch (e) {
      this.#log.warn({ endpoint: event.endpoint, err: (e as Error).message }, 'a notification listener threw');
    }
  }

  /** RFC 7641 §3.2: an error response ends the observation. */
  async #ended(rec: ObservationRecord, code: string): Promise<void> {
    this.#unfile(rec);
    await this.#o.observations.remove(rec.token);
    this.#o.events.emit('observation-ended', { endpoint: rec.endpoint, token: rec.token, paths: rec.paths, reason: `device answered ${code}` });
  }

  /** What decoding a notification of `rec` needs, worked out once per observation. */
  #decoding(rec: ObservationRecord): BuiltRequest {
    let built = this.#decodings.get(rec);
    if (built === undefined) {
      const target = Object.freeze(rec.composite ? {} : parsePath(rec.paths[0]!));
      built = Object.freeze({ request: Object.freeze({ method: 'GET' as const, path: [] }), target, ...(rec.accept !== undefined ? { format: rec.accept } : {}) });
      this.#decodings.set(rec, built);
    }
    return built;
  }
}

function samePaths(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}
