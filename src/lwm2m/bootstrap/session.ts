/**
 * One bootstrap session, driven by the server after it answered the Bootstrap-Request with
 * 2.04 (LwM2M 1.1 Core §5.2.7, §6.1): Bootstrap-Discover, Bootstrap-Read (1.1), Bootstrap-Delete,
 * Bootstrap-Write of the Security, Server and Access Control instances, Bootstrap-Finish.
 * Requests go out one at a time; every step is recorded and every state change reported.
 */
import type { IncomingResponse, OutgoingRequest } from '../../coap/types.js';
import { encode, decodeValues, ContentFormat } from '../../content/index.js';
import { parseDiscover } from '../../content/link-attributes.js';
import { formatPath, parsePath } from '../../content/path.js';
import { isLwm2mError, Lwm2mError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { ModelLookup } from '../../model/types.js';
import { isFormatRefusal, writeFormats } from './format.js';
import { planWrites, type PlannedWrite } from './instances.js';
import type { BootstrapConfig, BootstrapEvent, BootstrapSessionInfo, BootstrapState, BootstrapStep } from './types.js';
import { valueToJson } from '../../content/value-json.js';
import type { PathValue } from '../management/operation.js';

export interface BootstrapSessionOptions {
  id: string;
  endpoint: string;
  config: BootstrapConfig;
  /** `pct` of the Bootstrap-Request. */
  pct?: number;
  transport: 'coap' | 'coaps';
  address: string;
  /** Sends one request to the device (through the bootstrap listener's CoAP endpoint). */
  send: (req: OutgoingRequest) => Promise<IncomingResponse>;
  models: ModelLookup;
  emit: (e: BootstrapEvent) => void;
  logger: Logger;
  now: () => number;
  requestTimeoutMs: number;
}

/** Thrown inside the session to end it; carries the stable error code for the report. */
class SessionFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class BootstrapSession {
  readonly info: BootstrapSessionInfo;
  /** Values returned by Bootstrap-Read, in the stable JSON shape. */
  readonly readValues: PathValue[] = [];
  readonly #o: BootstrapSessionOptions;
  #formats: number[] = [];
  #cancelled: string | undefined;

  constructor(o: BootstrapSessionOptions) {
    this.#o = o;
    this.info = { sessionId: o.id, endpoint: o.endpoint, state: 'started', transport: o.transport, address: o.address, startedAt: o.now(), steps: [] };
  }

  get done(): boolean {
    return this.info.endedAt !== undefined;
  }

  /** Stops the session after the request in flight (a new Bootstrap-Request, shutdown). */
  cancel(reason: string): void {
    if (this.done || this.#cancelled !== undefined) return;
    this.#cancelled = reason;
  }

  async run(): Promise<BootstrapSessionInfo> {
    this.#state('started', this.#o.pct === undefined ? 'no preferred content format' : `preferred content format ${this.#o.pct}`);
    try {
      const kept = this.#o.config.discover ? await this.#discover() : [];
      await this.#read();
      for (const path of this.#o.config.delete) await this.#delete(path);
      this.#state('deleted', this.#o.config.delete.join(' '));
      for (const w of planWrites(this.#o.config, { keptSecurityInstances: kept })) await this.#write(w);
      this.#state('written', `${this.info.steps.filter((s) => s.operation === 'write' && s.code === '2.04').length} instances`);
      await this.#finish();
      this.#end('finished');
    } catch (e) {
      if (this.#cancelled !== undefined) this.#end('cancelled', this.#cancelled);
      else {
        const f = e instanceof SessionFailure ? e : isLwm2mError(e) ? new SessionFailure(e.code, e.message) : new SessionFailure('LWM2M_ERR_INTERNAL', (e as Error).message);
        this.info.error = { code: f.code, message: f.message };
        this.#end('failed', f.message);
      }
    }
    return this.info;
  }

  /** Bootstrap-Discover of "/" (Core §5.2.7.3): the enabler version and the Security instances the device keeps. */
  async #discover(): Promise<number[]> {
    const res = await this.#request('discover', '/', { method: 'GET', path: [], accept: ContentFormat.LINK }, false);
    if (res?.code !== '2.05') {
      this.#formats = writeFormats(this.#formatInput());
      this.#state('discovered', `Discover answered ${res?.code ?? 'nothing'}; version unknown`);
      return [];
    }
    let kept: number[] = [];
    try {
      const entries = parseDiscover(res.payload);
      const root = entries.find((e) => e.path.objectId === undefined);
      if (root?.lwm2m !== undefined) this.info.lwm2mVersion = root.lwm2m;
      // Security instances without a Short Server ID are Bootstrap-Server accounts: they survive
      // Bootstrap-Delete (Core §5.2.7.5), so new accounts must not take their ids.
      kept = entries.filter((e) => e.path.objectId === 0 && e.path.instanceId !== undefined && e.path.resourceId === undefined && e.ssid === undefined).map((e) => e.path.instanceId!);
    } catch (e) {
      this.#o.logger.debug({ endpoint: this.#o.endpoint, err: (e as Error).message }, 'bootstrap: Discover answer unreadable');
    }
    this.#formats = writeFormats(this.#formatInput());
    this.#state('discovered', `lwm2m ${this.info.lwm2mVersion ?? 'unknown'}, kept security instances [${kept.join(',')}]`);
    return kept;
  }

  #formatInput(): { configured?: number; pct?: number; lwm2mVersion?: string } {
    const i: { configured?: number; pct?: number; lwm2mVersion?: string } = {};
    if (this.#o.config.contentFormat !== undefined) i.configured = this.#o.config.contentFormat;
    if (this.#o.pct !== undefined) i.pct = this.#o.pct;
    if (this.info.lwm2mVersion !== undefined) i.lwm2mVersion = this.info.lwm2mVersion;
    return i;
  }

  /** Bootstrap-Read (Core §5.2.7.2): LwM2M 1.1 and later only; a refusal is reported, not fatal. */
  async #read(): Promise<void> {
    if (this.#formats.length === 0) this.#formats = writeFormats(this.#formatInput());
    const paths = this.#o.config.read;
    const v = this.info.lwm2mVersion;
    if (paths.length === 0 || v === undefined || v === '1.0') return;
    for (const p of paths) {
      const path = parsePath(p);
      const res = await this.#request('read', p, { method: 'GET', path: segmentsOf(p), accept: this.#formats[0]! }, false);
      if (res?.code !== '2.05' || res.contentFormat === undefined) continue;
      try {
        const values = decodeValues(res.contentFormat, res.payload, path, { models: this.#o.models });
        this.readValues.push(...values.map((v) => ({ path: formatPath(v.path), value: valueToJson(v.value) })));
      } catch (e) {
        this.#last().error = (e as Error).message;
      }
    }
    this.info.readValues = this.readValues.map((v) => ({ ...v }));
    this.#state('read', `${this.readValues.length} values`);
  }

  /** Bootstrap-Delete (Core §5.2.7.5): 2.02; a 4.04 (nothing there) is accepted. */
  async #delete(path: string): Promise<void> {
    const res = await this.#request('delete', path, { method: 'DELETE', path: segmentsOf(path) });
    if (res.code !== '2.02' && res.code !== '4.04') throw this.#refused('Bootstrap-Delete', path, res.code);
  }

  /** Bootstrap-Write (Core §5.2.7.4), trying the next format on 4.15 / 4.06 and keeping the one that worked. */
  async #write(w: PlannedWrite): Promise<void> {
    const path = formatPath(w.path);
    for (;;) {
      const format = this.#formats[0];
      if (format === undefined) throw new SessionFailure('LWM2M_ERR_UNSUPPORTED_FORMAT', `the device refused every content format for ${path}`);
      const payload = Buffer.from(encode(format, w.node, w.path, { models: this.#o.models }));
      const res = await this.#request('write', path, { method: 'PUT', path: segmentsOf(path), contentFormat: format, payload }, true, format);
      if (res.code === '2.04') {
        this.info.format = format;
        return;
      }
      if (!isFormatRefusal(res.code)) throw this.#refused('Bootstrap-Write', `${path} (${w.label})`, res.code);
      this.#formats.shift();
    }
  }

  /** Bootstrap-Finish (Core §5.2.7.6): 2.04; 4.06 carries the device's diagnostic of what is inconsistent. */
  async #finish(): Promise<void> {
    const res = await this.#request('finish', '/bs', { method: 'POST', path: ['bs'] });
    if (res.code !== '2.04') {
      const why = res.payload.length > 0 ? `: ${res.payload.toString('utf8').slice(0, 200)}` : '';
      throw new SessionFailure('LWM2M_ERR_DEVICE_ERROR', `Bootstrap-Finish answered ${res.code}${why}`);
    }
  }

  async #request(operation: BootstrapStep['operation'], path: string, req: OutgoingRequest, required?: true, format?: number): Promise<IncomingResponse>;
  async #request(operation: BootstrapStep['operation'], path: string, req: OutgoingRequest, required: false, format?: number): Promise<IncomingResponse | undefined>;
  async #request(operation: BootstrapStep['operation'], path: string, req: OutgoingRequest, required = true, format?: number): Promise<IncomingResponse | undefined> {
    if (this.#cancelled !== undefined) throw new SessionFailure('LWM2M_ERR_CANCELLED', this.#cancelled);
    const step: BootstrapStep = { operation, path };
    if (format !== undefined) step.format = format;
    this.info.steps.push(step);
    let res: IncomingResponse;
    try {
      res = await this.#o.send(Object.assign({}, req, { timeoutMs: this.#o.requestTimeoutMs }));
    } catch (e) {
      const err = isLwm2mError(e) ? e : new Lwm2mError('LWM2M_ERR_INTERNAL', (e as Error).message);
      step.error = err.message;
      // A timeout or an RST means the device is gone: the session cannot go on (Discover is no exception).
      if (this.#cancelled !== undefined) throw new SessionFailure('LWM2M_ERR_CANCELLED', this.#cancelled);
      if (!required && err.code !== 'LWM2M_ERR_TIMEOUT' && err.code !== 'LWM2M_ERR_DEVICE_ERROR') return undefined;
      throw new SessionFailure(err.code, `${describe(operation)} ${path}: ${err.message}`);
    }
    step.code = res.code;
    this.#o.logger.debug({ endpoint: this.#o.endpoint, session: this.#o.id, operation, path, code: res.code, format }, 'bootstrap step');
    if (this.#cancelled !== undefined) throw new SessionFailure('LWM2M_ERR_CANCELLED', this.#cancelled);
    return res;
  }

  #refused(what: string, path: string, code: string): SessionFailure {
    return new SessionFailure('LWM2M_ERR_DEVICE_ERROR', `${what} ${path} answered ${code}`);
  }

  #last(): BootstrapStep {
    return this.info.steps[this.info.steps.length - 1]!;
  }

  #state(state: BootstrapState, detail?: string): void {
    this.info.state = state;
    const e: BootstrapEvent = { endpoint: this.#o.endpoint, sessionId: this.#o.id, state };
    if (detail !== undefined) e.detail = detail;
    if (this.info.error && (state === 'failed' || state === 'cancelled')) e.error = { ...this.info.error };
    this.#o.emit(e);
  }

  #end(state: 'finished' | 'failed' | 'cancelled', detail?: string): void {
    this.info.endedAt = this.#o.now();
    this.#state(state, detail);
  }
}

function describe(op: BootstrapStep['operation']): string {
  return { discover: 'Bootstrap-Discover', read: 'Bootstrap-Read', delete: 'Bootstrap-Delete', write: 'Bootstrap-Write', finish: 'Bootstrap-Finish' }[op];
}

/** "/0/1" -> ["0", "1"]; "/" -> []. */
function segmentsOf(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}
