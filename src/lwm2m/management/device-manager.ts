import { systemClock, type Clock } from '../../clock.js';
import { parsePath, pathLevel } from '../../content/path.js';
import { ContentFormat, type CodecContext } from '../../content/types.js';
import type { EventBus } from '../../events.js';
import { silentLogger, type Logger } from '../../log.js';
import type { ModelLookup } from '../../model/types.js';
import type { ObjectStore, Registration, RegistrationStore, ValueSource } from '../../store/types.js';
import { codecContext } from './codec-context.js';
import type { DevicePort } from './device-port.js';
import type { IncomingResponse } from '../../coap/types.js';
import type { Operation, OperationResult, PathValue } from './operation.js';
import { buildRequest, interpretResponse, type BuiltRequest } from './request-builder.js';
import { failWith, failure } from './results.js';

export type SimpleOperation = Exclude<Operation, { op: 'observe' | 'observe-composite' | 'cancel-observe' | 'cancel-observe-composite' }>;

export interface DeviceManagerOptions {
  port: DevicePort;
  registrations: RegistrationStore;
  models: ModelLookup;
  events: EventBus;
  objectStore?: ObjectStore;
  clock?: Clock;
  logger?: Logger;
  /** Default deadline for a device's answer (ms). */
  timeoutMs?: number;
}

/**
 * Runs device-management operations on registered devices (LwM2M 1.1 Core §6.3): one request,
 * one result. Device errors (4.04, 4.05...) and timeouts come back as results with a code; values
 * the device reports are written to the object store.
 */
export class DeviceManager {
  readonly #o: DeviceManagerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(o: DeviceManagerOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.logger ?? silentLogger();
  }

  run(endpoint: string, op: SimpleOperation, opts: { timeoutMs?: number } = {}): Promise<OperationResult> {
    const reg = this.#o.registrations.getByEndpoint(endpoint);
    if (!reg) return Promise.resolve(failWith('LWM2M_ERR_UNKNOWN_DEVICE', `no device "${endpoint}" is registered`));
    return this.runOn(reg, op, opts);
  }

  /*
   * The path below is one promise chain, not nested async functions: a server-initiated read
   * is the hottest request path, and each async frame that suspends costs an allocation of its
   * own (about 2 KB per read across the four of them, measured with a sampling heap profile).
   */
  runOn(reg: Registration, op: SimpleOperation, opts: { timeoutMs?: number } = {}): Promise<OperationResult> {
    let ctx: CodecContext;
    try {
      ctx = codecContext(reg, this.#o.models, this.#clock.now());
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#attempt(reg, op, ctx, opts).then((first) => {
      const result = first.result;
      // A device that refuses the format we picked (4.06 / 4.15) gets one retry in the format
      // every version must support: TLV for several values, text for one (LwM2M 1.0 §6.4).
      const retry = !result.ok && (result.code === '4.06' || result.code === '4.15') ? fallbackOp(op, first.format) : undefined;
      if (retry === undefined) return this.#learn(reg, op, result);
      this.#log.debug({ endpoint: reg.endpoint, op: op.op, code: result.code }, 'retrying in a fallback format');
      return this.#attempt(reg, retry, ctx, opts).then((second) => this.#learn(reg, op, second.result));
    });
  }

  /** One request and its interpretation; never rejects (failures are results). */
  #attempt(reg: Registration, op: SimpleOperation, ctx: CodecContext, opts: { timeoutMs?: number }): Promise<Attempt> {
    let built: BuiltRequest;
    let sent: Promise<IncomingResponse>;
    try {
      built = buildRequest(reg, op, ctx);
    } catch (e) {
      return Promise.resolve({ result: failure(e) });
    }
    const format = built.format;
    const timeoutMs = opts.timeoutMs ?? this.#o.timeoutMs;
    try {
      // `built` is this attempt's own: the deadline goes straight onto its request.
      if (timeoutMs !== undefined) built.request.timeoutMs = timeoutMs;
      sent = this.#o.port.request(reg.address, built.request);
    } catch (e) {
      return Promise.resolve({ result: failure(e), format });
    }
    return sent.then(
      (res) => {
        try {
          return { result: interpretResponse(op, built, res, ctx), format };
        } catch (e) {
          // The device answered, but with a payload we cannot decode.
          const out = failure(e, res.code);
          if (res.contentFormat !== undefined) out.format = res.contentFormat;
          return { result: out, format };
        }
      },
      (e: unknown) => ({ result: failure(e), format }),
    );
  }

  /**
   * Values the server learned (read results, accepted writes) go to the object store; read
   * results are also emitted (`read`), so rules can trigger on them. Returns `result`, once the
   * values are stored (at once when there are none).
   */
  #learn(reg: Registration, op: SimpleOperation, result: OperationResult): OperationResult | Promise<OperationResult> {
    if (!result.ok) return result;
    let values: PathValue[] | undefined;
    let source: ValueSource = 'read';
    if (result.values) values = result.values;
    else if (op.op === 'write' || op.op === 'write-composite') {
      values = op.values;
      source = 'write';
    }
    if (!values || values.length === 0) return result;
    const learned = values;
    const emit = (): OperationResult => {
      if (source === 'read') this.#o.events.emit('read', { endpoint: reg.endpoint, values: learned });
      return result;
    };
    if (!this.#o.objectStore) return emit();
    return storeValues(this.#o.objectStore, reg.endpoint, learned, source, this.#clock.now()).then(emit);
  }
}

interface Attempt {
  result: OperationResult;
  /** The format the request asked for, when it chose one. */
  format?: number;
}

/** Writes values to the object store; resolves when they are stored. */
export function storeValues(store: ObjectStore, endpoint: string, values: PathValue[], source: ValueSource, now: number): Promise<void> {
  return store.put(values.map((v) => ({ endpoint, path: v.path, value: v.value, time: v.time ?? now, receivedAt: now, source })));
}

function fallbackOp(op: SimpleOperation, refused: number | undefined): SimpleOperation | undefined {
  if ((op.op !== 'read' && op.op !== 'write') || op.format !== undefined) return undefined;
  const level = pathLevel(parsePath(op.path));
  const format = level === 'resource' || level === 'resourceInstance' ? ContentFormat.TEXT : ContentFormat.TLV;
  return format === refused ? undefined : Object.assign({}, op, { format });
}
