import { systemClock, type Clock } from '../../clock.js';
import { parsePath, pathLevel } from '../../content/path.js';
import { ContentFormat, type CodecContext } from '../../content/types.js';
import type { EventBus } from '../../events.js';
import { silentLogger, type Logger } from '../../log.js';
import type { ModelLookup } from '../../model/types.js';
import type { ObjectStore, Registration, RegistrationStore, ValueSource } from '../../store/types.js';
import { codecContext } from './codec-context.js';
import type { DevicePort } from './device-port.js';
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

  async run(endpoint: string, op: SimpleOperation, opts: { timeoutMs?: number } = {}): Promise<OperationResult> {
    const reg = this.#o.registrations.getByEndpoint(endpoint);
    if (!reg) return failWith('LWM2M_ERR_UNKNOWN_DEVICE', `no device "${endpoint}" is registered`);
    return this.runOn(reg, op, opts);
  }

  async runOn(reg: Registration, op: SimpleOperation, opts: { timeoutMs?: number } = {}): Promise<OperationResult> {
    const ctx = codecContext(reg, this.#o.models, this.#clock.now());
    const first = await this.#attempt(reg, op, ctx, opts);
    let result = first.result;
    // A device that refuses the format we picked (4.06 / 4.15) gets one retry in the format
    // every version must support: TLV for several values, text for one (LwM2M 1.0 §6.4).
    const retry = !result.ok && (result.code === '4.06' || result.code === '4.15') ? fallbackOp(op, first.format) : undefined;
    if (retry) {
      this.#log.debug({ endpoint: reg.endpoint, op: op.op, code: result.code }, 'retrying in a fallback format');
      result = (await this.#attempt(reg, retry, ctx, opts)).result;
    }
    await this.#learn(reg, op, result);
    return result;
  }

  async #attempt(reg: Registration, op: SimpleOperation, ctx: CodecContext, opts: { timeoutMs?: number }): Promise<{ result: OperationResult; format?: number }> {
    let built: BuiltRequest;
    try {
      built = buildRequest(reg, op, ctx);
    } catch (e) {
      return { result: failure(e) };
    }
    const format = built.format;
    const timeoutMs = opts.timeoutMs ?? this.#o.timeoutMs;
    let res;
    try {
      // `built` is this attempt's own: the deadline goes straight onto its request.
      if (timeoutMs !== undefined) built.request.timeoutMs = timeoutMs;
      res = await this.#o.port.request(reg.address, built.request);
    } catch (e) {
      return { result: failure(e), format };
    }
    try {
      return { result: interpretResponse(op, built, res, ctx), format };
    } catch (e) {
      // The device answered, but with a payload we cannot decode.
      const out = failure(e, res.code);
      if (res.contentFormat !== undefined) out.format = res.contentFormat;
      return { result: out, format };
    }
  }

  /** Values the server learned (read results, accepted writes) go to the object store; read
   * results are also emitted (`read`), so rules can trigger on them. */
  async #learn(reg: Registration, op: SimpleOperation, result: OperationResult): Promise<void> {
    if (!result.ok) return;
    let values: PathValue[] | undefined;
    let source: ValueSource = 'read';
    if (result.values) values = result.values;
    else if (op.op === 'write' || op.op === 'write-composite') {
      values = op.values;
      source = 'write';
    }
    if (!values || values.length === 0) return;
    if (this.#o.objectStore) await storeValues(this.#o.objectStore, reg.endpoint, values, source, this.#clock.now());
    if (source === 'read') this.#o.events.emit('read', { endpoint: reg.endpoint, values });
  }
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
