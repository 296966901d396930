import { isLwm2mError, Lwm2mError } from '../../errors.js';
import { pooledRandomHex } from '../../random-pool.js';
import { systemClock, type Clock, type TimerHandle } from '../../clock.js';
import type { EventBus } from '../../events.js';
import { silentLogger, type Logger } from '../../log.js';
import type { QueuedRequest, Registration, RegistrationStore, RequestQueueStore } from '../../store/types.js';
import type { DeviceManager, SimpleOperation } from '../management/device-manager.js';
import type { Operation, OperationResult } from '../management/operation.js';
import { failWith } from '../management/results.js';
import type { ObservationService } from '../observe/observation-service.js';
import { DEFAULT_QUEUE_TTL_MS } from './queue-defaults.js';
import type { Presence } from './presence.js';

export type Submission = { queued: false; result: OperationResult } | { queued: true; request: QueuedRequest };

export interface DispatcherOptions {
  registrations: RegistrationStore;
  manager: DeviceManager;
  observations: ObservationService;
  queue: RequestQueueStore;
  presence: Presence;
  events: EventBus;
  clock?: Clock;
  logger?: Logger;
  /** How long a queued request waits for its device (ms). */
  ttlMs?: number;
  /** How often expired requests are swept (ms). */
  sweepIntervalMs?: number;
}

/**
 * Every operation on a device goes through here. A device in queue mode that is asleep gets
 * its requests stored (LevelDB, in order, each with a TTL); the caller gets a request id at
 * once and the result later (`request-result` event, GET /api/v1/requests/{id}). When the
 * device shows it is awake, its queue is delivered one request at a time (LwM2M 1.1 Transport,
 * "Queue Mode Operation"); a request that gets no answer goes back to the queue for next time.
 */
export class RequestDispatcher {
  readonly #o: DispatcherOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #draining = new Set<string>();
  #timer: TimerHandle | undefined;

  constructor(o: DispatcherOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.logger ?? silentLogger();
  }

  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  async submit(endpoint: string, op: Operation, opts: { timeoutMs?: number; ttlMs?: number } = {}): Promise<Submission> {
    const reg = this.#o.registrations.getByEndpoint(endpoint);
    if (!reg) return { queued: false, result: failWith('LWM2M_ERR_UNKNOWN_DEVICE', `no device "${endpoint}" is registered`) };
    if (reg.queueMode && !this.#o.presence.isAwake(endpoint)) {
      const now = this.#clock.now();
      const request: QueuedRequest = {
        id: pooledRandomHex(8),
        endpoint,
        seq: this.#o.queue.nextSeq(),
        operation: op.op,
        args: op as unknown as Record<string, unknown>,
        status: 'pending',
        createdAt: now,
        updatedAt: now,
        expiresAt: now + (opts.ttlMs ?? this.#o.ttlMs ?? DEFAULT_QUEUE_TTL_MS),
      };
      await this.#o.queue.enqueue(request);
      this.#o.events.emit('request-queued', { request });
      // The device may have shown itself awake while the store wrote the request, and found
      // nothing to deliver then: deliver now.
      if (this.#o.presence.isAwake(endpoint)) this.#deliver(endpoint);
      return { queued: true, request };
    }
    return { queued: false, result: await this.perform(reg, op, opts) };
  }

  /** Runs an operation now, whatever the device's state. */
  async perform(reg: Registration, op: Operation, opts: { timeoutMs?: number } = {}): Promise<OperationResult> {
    switch (op.op) {
      case 'observe':
      case 'observe-composite':
        return this.#o.observations.observe(reg, op, opts);
      case 'cancel-observe':
        return this.#o.observations.cancel(reg.endpoint, [op.path], op.mode);
      case 'cancel-observe-composite':
        return this.#o.observations.cancel(reg.endpoint, op.paths, op.mode);
      default:
        return this.#o.manager.runOn(reg, op satisfies SimpleOperation, opts);
    }
  }

  get(id: string): Promise<QueuedRequest | undefined> {
    return this.#o.queue.get(id);
  }

  /** The device sent something: it is awake; deliver what waits for it. */
  wake(endpoint: string): void {
    this.#o.presence.seen(endpoint);
    if (this.#o.queue.hasPending(endpoint)) this.#deliver(endpoint);
  }

  #deliver(endpoint: string): void {
    void this.drain(endpoint).catch((e: unknown) => this.#log.error({ endpoint, err: e }, 'delivering queued requests failed'));
  }

  /** Delivers the pending requests of a device in order while it stays awake. */
  async drain(endpoint: string): Promise<void> {
    if (this.#draining.has(endpoint)) return;
    this.#draining.add(endpoint);
    try {
      for (;;) {
        if (!this.#o.presence.isAwake(endpoint)) return;
        const [next] = await this.#o.queue.pending(endpoint);
        if (!next) return;
        const reg = this.#o.registrations.getByEndpoint(endpoint);
        if (!reg) return;
        try {
          await this.#o.queue.setStatus(next.id, 'sent', this.#clock.now());
        } catch (e) {
          // Cancelled by an operator between the listing and now: on to the next one.
          if (isLwm2mError(e) && e.code === 'LWM2M_ERR_PRECONDITION_FAILED') continue;
          throw e;
        }
        const result = await this.perform(reg, next.args as unknown as Operation);
        if (!result.ok && result.error?.code === 'LWM2M_ERR_TIMEOUT') {
          // No answer: the device went back to sleep. Keep the request for its next wake-up.
          await this.#o.queue.setStatus(next.id, 'pending', this.#clock.now());
          this.#o.presence.forget(endpoint);
          return;
        }
        await this.#finish(next.id, result.ok ? 'succeeded' : 'failed', result);
      }
    } finally {
      this.#draining.delete(endpoint);
    }
  }

  /** The requests waiting for a device, in delivery order. */
  pending(endpoint: string): Promise<QueuedRequest[]> {
    return this.#o.queue.pending(endpoint);
  }

  /**
   * Withdraws one request that still waits for its device; its `request-result` says
   * LWM2M_ERR_CANCELLED. Unknown id: LWM2M_ERR_NOT_FOUND; already sent or finished:
   * LWM2M_ERR_PRECONDITION_FAILED (a request on its way cannot be called back).
   */
  async cancel(id: string): Promise<QueuedRequest> {
    const request = await this.#o.queue.cancel(id, this.#clock.now());
    if (!request) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no request ${id}`);
    this.#cancelled([request], 'cancelled by an operator');
    return request;
  }

  /** Drops every pending request of a device (quarantine); `why` goes into their results. */
  async cancelAll(endpoint: string, why: string): Promise<QueuedRequest[]> {
    const gone = await this.#o.queue.cancelEndpoint(endpoint, this.#clock.now());
    this.#cancelled(gone, why);
    return gone;
  }

  /** Whoever waits for these requests' results hears that they will not come. */
  #cancelled(requests: QueuedRequest[], why: string): void {
    for (const request of requests) this.#o.events.emit('request-result', { request, result: failWith('LWM2M_ERR_CANCELLED', why) });
  }

  async #finish(id: string, status: 'succeeded' | 'failed' | 'expired', result: OperationResult): Promise<void> {
    await this.#o.queue.setStatus(id, status, this.#clock.now(), result as unknown as Record<string, unknown>);
    const request = await this.#o.queue.get(id);
    if (request) this.#o.events.emit('request-result', { request, result });
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimer(this.#o.sweepIntervalMs ?? 5000, () => {
      this.#sweep()
        .catch((e: unknown) => this.#log.error({ err: e }, 'queue expiry sweep failed'))
        .finally(() => {
          if (this.#timer) this.#schedule();
        });
    });
  }

  async #sweep(): Promise<void> {
    const expired = await this.#o.queue.expire(this.#clock.now());
    for (const request of expired) {
      const result = failWith('LWM2M_ERR_TIMEOUT', 'the device did not wake up before the request expired');
      this.#o.events.emit('request-result', { request, result });
    }
    await this.#o.queue.prune(this.#clock.now() - 7 * 24 * 3600 * 1000);
  }
}
