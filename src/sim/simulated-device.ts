import { EventEmitter } from 'node:events';
import { systemClock, systemRandom, type Clock, type RandomSource, type TimerHandle } from '../clock.js';
import { CoapEndpoint } from '../coap/endpoint.js';
import type { IncomingRequest, IncomingResponse, OutgoingResponse } from '../coap/types.js';
import { encode, encodeValues } from '../content/index.js';
import { parsePath } from '../content/path.js';
import { ContentFormat, type CodecContext, type LwM2mPath, type LwM2mValue } from '../content/types.js';
import { silentLogger, type Logger } from '../log.js';
import type { PeerAddress, Transport } from '../transport/types.js';
import { UdpTransport } from '../transport/udp.js';
import { AttributeStore } from './attributes.js';
import { buildInstance, DEFAULT_OBJECTS } from './default-objects.js';
import { compositeValues, handleManagement, type ExecuteRecord, type ManagementContext } from './device-management.js';
import { ObjectTree } from './object-tree.js';
import { ObservationTable, type SimObservation } from './observations.js';
import { Radio } from './radio.js';
import { startDrift } from './sensor-drift.js';
import { defaultFormats, type DeviceCounters, type DeviceEvents, type Lwm2mVersion, type ReceivedRequest, type SimulatedDeviceOptions } from './device-options.js';

export type { DeviceCounters, DeviceEvents, Lwm2mVersion, ReceivedRequest, SimulatedDeviceOptions } from './device-options.js';
import { RegistrationClient } from './registration-client.js';

/**
 * A simulated LwM2M client on a real socket: registers, answers every Device Management
 * operation from an object tree, notifies observers, sends, sleeps and wakes in queue mode.
 * Everything it receives is recorded (`requests`) for tests; a library for the `simulate`
 * command and the benchmarks.
 */
export class SimulatedDevice {
  readonly endpoint: string;
  readonly lwm2mVersion: Lwm2mVersion;
  readonly tree: ObjectTree;
  readonly attributes = new AttributeStore();
  readonly observations: ObservationTable;
  readonly requests: ReceivedRequest[] = [];
  readonly executed: ExecuteRecord[] = [];
  readonly #counters = { requests: 0, errors: 0, sends: 0 };
  readonly #events = new EventEmitter<DeviceEvents>();
  readonly #o: SimulatedDeviceOptions;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #log: Logger;
  readonly #radio: Radio;
  readonly #coap: CoapEndpoint;
  readonly #reg: RegistrationClient;
  readonly #mgmt: ManagementContext;
  readonly #supported: number[];
  #drift: TimerHandle | undefined;
  #awakeTimer: TimerHandle | undefined;
  #closed = false;

  private constructor(o: SimulatedDeviceOptions, transport: Transport) {
    this.#o = o;
    this.endpoint = o.endpoint;
    this.lwm2mVersion = o.lwm2mVersion ?? '1.1';
    this.#clock = o.clock ?? systemClock;
    this.#random = o.random ?? systemRandom;
    this.#log = o.logger ?? silentLogger();
    this.#supported = o.supportedFormats ?? defaultFormats(this.lwm2mVersion);
    this.#radio = new Radio(transport);
    this.#coap = new CoapEndpoint({ transport: this.#radio, clock: this.#clock, random: this.#random, logger: this.#log, ...(o.coap ? { params: o.coap } : {}) });
    const specs = o.objects ?? DEFAULT_OBJECTS;
    const versions = new Map<number, string>();
    for (const s of specs) {
      const v = o.objectVersions?.[s.objectId] ?? o.models.object(s.objectId)?.version;
      if (v !== undefined) versions.set(s.objectId, v);
    }
    this.tree = new ObjectTree(o.models, versions);
    const lifetime = o.lifetime ?? 300;
    const binding = o.queueMode === true && this.lwm2mVersion === '1.0' ? 'UQ' : 'U';
    const ctx = { endpoint: o.endpoint, nowSeconds: Math.floor(this.#clock.now() / 1000), binding, lifetime };
    for (const s of specs) {
      this.tree.addObject(s.objectId);
      for (const iid of s.instances ?? [0]) this.tree.createInstance(s.objectId, iid, buildInstance(s, o.models, versions.get(s.objectId), ctx));
    }
    this.observations = new ObservationTable({
      clock: this.#clock,
      attributes: this.attributes,
      logger: this.#log,
      render: (obs) => this.#render(obs),
      numberAt: (p) => {
        const s = this.tree.slot(p);
        return s?.kind === 'single' && (typeof s.value.value === 'number' || typeof s.value.value === 'bigint') ? Number(s.value.value) : undefined;
      },
      isAsleep: () => !this.#radio.on,
      confirmable: o.confirmableNotifications === true,
      onSettled: (obs, delivered) => this.#events.emit('notified', obs, delivered),
    });
    this.observations.setSender((peer, token, res, opts) => this.#coap.notify(peer, token, res, opts));
    this.tree.onChange((paths) => this.observations.changed(paths));
    this.#reg = new RegistrationClient({
      endpoint: o.endpoint,
      server: o.server,
      lwm2mVersion: this.lwm2mVersion,
      lifetime,
      queueMode: o.queueMode === true,
      supportedFormats: this.#supported,
      coap: this.#coap,
      tree: this.tree,
      clock: this.#clock,
      logger: this.#log,
      ...(o.requestTimeoutMs !== undefined ? { timeoutMs: o.requestTimeoutMs } : {}),
    });
    const base: number[] = [ContentFormat.TEXT, ContentFormat.OPAQUE, ContentFormat.TLV, ContentFormat.TLV_LEGACY];
    if (this.lwm2mVersion !== '1.0') base.push(ContentFormat.CBOR);
    this.#mgmt = {
      tree: this.tree,
      attributes: this.attributes,
      observations: this.observations,
      lwm2mVersion: this.lwm2mVersion,
      accepted: new Set([...base, ...this.#supported]),
      codecContext: () => this.codecContext(),
      now: () => this.#clock.now(),
      onExecute: (rec) => this.#executed(rec),
      onObjectsChanged: () => {
        this.#reg.linksChanged();
        // LwM2M clients tell the server about new/removed instances with an Update.
        setImmediate(() => void this.update().catch((err: unknown) => this.#log.debug({ err }, 'sim: Update after create/delete failed')));
      },
    };
    this.#coap.onRequest((req) => this.#handle(req));
  }

  /** Creates the device on its own UDP socket (127.0.0.1:0 unless told otherwise); does not register yet. */
  static async create(o: SimulatedDeviceOptions): Promise<SimulatedDevice> {
    const transport = o.transport ?? (await UdpTransport.bind({ host: o.host ?? '127.0.0.1', port: 0, ...(o.logger ? { logger: o.logger } : {}) }));
    return new SimulatedDevice(o, transport);
  }

  /** Creates and registers. */
  static async start(o: SimulatedDeviceOptions): Promise<SimulatedDevice> {
    const d = await SimulatedDevice.create(o);
    try {
      await d.register();
    } catch (e) {
      await d.close();
      throw e;
    }
    return d;
  }

  get registrationId(): string | undefined {
    return this.#reg.registrationId;
  }

  get registration(): { registers: number; updates: number } {
    return { registers: this.#reg.registers, updates: this.#reg.updates };
  }

  get counters(): DeviceCounters {
    return { ...this.#counters, droppedWhileAsleep: this.#radio.dropped };
  }

  get asleep(): boolean {
    return !this.#radio.on;
  }

  get supportedFormats(): readonly number[] {
    return this.#supported;
  }

  /** The accepted Content-Formats (what it reads and writes). */
  get acceptedFormats(): ReadonlySet<number> {
    return this.#mgmt.accepted;
  }

  address(): PeerAddress {
    return this.#coap.address();
  }

  coapStats(): ReturnType<CoapEndpoint['stats']> {
    return this.#coap.stats();
  }

  codecContext(): CodecContext {
    return { models: this.tree.models, objectVersions: this.tree.objectVersions, nowSeconds: Math.floor(this.#clock.now() / 1000) };
  }

  on<K extends keyof DeviceEvents>(event: K, listener: (...args: DeviceEvents[K]) => void): () => void {
    this.#events.on(event, listener as never);
    return () => this.#events.off(event, listener as never);
  }

  register(): Promise<string> {
    return this.#reg.register();
  }

  update(opts: { withLinks?: boolean } = {}): Promise<void> {
    return this.#reg.update(opts);
  }

  /** De-registers (if registered) and closes the socket; true when the server confirmed the De-register. */
  async stop(): Promise<boolean> {
    if (this.#closed) return false;
    let done = false;
    try {
      if (this.#radio.on) done = await this.#reg.deregister();
    } catch (err) {
      this.#log.debug({ err }, 'sim: De-register failed');
    }
    await this.close();
    return done;
  }

  /** Closes the socket without De-register (a device that loses power). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#reg.stop();
    this.stopDrift();
    this.#awakeTimer?.cancel();
    this.observations.clear();
    await this.#coap.close();
  }

  /** Queue mode: the radio goes off; datagrams that arrive are lost. */
  sleep(): void {
    this.#awakeTimer?.cancel();
    this.#radio.on = false;
  }

  /**
   * The radio comes on: an Update tells the server the device is reachable, then pending
   * notifications go out. With `awakeMs` it goes back to sleep after that window.
   */
  async wake(opts: { awakeMs?: number; update?: boolean } = {}): Promise<void> {
    this.#radio.on = true;
    if (opts.update !== false) await this.update();
    this.observations.flush();
    this.#awakeTimer?.cancel();
    if (opts.awakeMs !== undefined) this.#awakeTimer = this.#clock.setTimer(opts.awakeMs, () => this.sleep());
  }

  /** A value changed on the device (a sensor reading, a button): observers are notified. */
  setValue(path: string | LwM2mPath, value: LwM2mValue): void {
    this.tree.set(typeof path === 'string' ? parsePath(path) : path, value);
  }

  /** Reads a value the device holds (undefined when absent). */
  value(path: string): LwM2mValue | undefined {
    const p = parsePath(path);
    return this.tree.exists(p) ? this.tree.values(p)[0]?.value : undefined;
  }

  /**
   * Send (LwM2M 1.1 Core §6.4.6, POST /dp): the values at these paths, timestamped now, in SenML
   * CBOR if announced, else SenML JSON (or the given format). Returns the server's answer.
   */
  async send(paths: string[], opts: { format?: number } = {}): Promise<IncomingResponse> {
    const format = opts.format ?? (this.#supported.includes(ContentFormat.SENML_CBOR) ? ContentFormat.SENML_CBOR : ContentFormat.SENML_JSON);
    const now = this.#clock.now() / 1000;
    const values = compositeValues(this.#mgmt, paths.map(parsePath)).map((v) => ({ ...v, time: now }));
    const payload = Buffer.from(encodeValues(format, values, this.codecContext()));
    this.#counters.sends++;
    return this.#coap.request(this.#o.server, { method: 'POST', path: ['dp'], contentFormat: format, payload, ...(this.#o.requestTimeoutMs !== undefined ? { timeoutMs: this.#o.requestTimeoutMs } : {}) });
  }

  /** Temperature drifts: every `intervalMs` each 3303 instance moves by up to ±`step` °C; min/max follow. */
  startDrift(intervalMs: number, step = 0.5): void {
    this.stopDrift();
    this.#drift = startDrift(this.tree, this.#clock, this.#random, intervalMs, step);
  }

  stopDrift(): void {
    this.#drift?.cancel();
    this.#drift = undefined;
  }

  /** Resolves with the next received request that matches (bounded by `timeoutMs` of the injected clock). */
  nextRequest(match: (r: ReceivedRequest) => boolean = () => true, timeoutMs = 10_000): Promise<ReceivedRequest> {
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimer(timeoutMs, () => {
        off();
        reject(new Error(`${this.endpoint}: no matching request in ${timeoutMs} ms`));
      });
      const off = this.on('request', (r) => {
        if (!match(r)) return;
        timer.cancel();
        off();
        resolve(r);
      });
    });
  }

  #executed(rec: ExecuteRecord): void {
    this.executed.push(rec);
    this.#events.emit('execute', rec);
    // Server object, Registration Update Trigger (LwM2M 1.1 Core, object 1 resource 8).
    if (rec.path === '/1/0/8') setImmediate(() => void this.update().catch((err: unknown) => this.#log.debug({ err }, 'sim: triggered Update failed')));
  }

  #render(obs: SimObservation): { contentFormat: number; payload: Buffer } {
    const ctx = this.codecContext();
    if (obs.composite) return { contentFormat: obs.format, payload: Buffer.from(encodeValues(obs.format, compositeValues(this.#mgmt, obs.paths), ctx)) };
    const path = obs.paths[0]!;
    return { contentFormat: obs.format, payload: Buffer.from(encode(obs.format, this.tree.read(path), path, ctx)) };
  }

  #handle(req: IncomingRequest): OutgoingResponse {
    const rec: ReceivedRequest = {
      method: req.method,
      path: `/${req.path.join('/')}`,
      query: req.query,
      payload: req.payload,
      token: req.token.toString('hex'),
      at: this.#clock.now(),
    };
    if (req.contentFormat !== undefined) rec.contentFormat = req.contentFormat;
    if (req.accept !== undefined) rec.accept = req.accept;
    if (req.observe !== undefined) rec.observe = req.observe;
    this.requests.push(rec);
    // Bounded for long runs (the simulate command, benchmarks): the oldest half goes at twice the cap.
    const cap = this.#o.maxRecordedRequests ?? 10_000;
    if (this.requests.length >= 2 * cap) this.requests.splice(0, this.requests.length - cap);
    this.#counters.requests++;
    this.#events.emit('request', rec);
    try {
      const res = handleManagement(this.#mgmt, req);
      this.#events.emit('response', rec, res);
      return res;
    } catch (e) {
      this.#counters.errors++;
      throw e;
    }
  }
}
