/**
 * The bootstrap server (LwM2M 1.1 Core §5.2, §6.1): answers a Bootstrap-Request (`POST
 * /bs?ep=..&pct=..`) with 2.04 and then drives a session against the device from the same
 * CoAP endpoint (ARCHITECTURE.md: one socket carries both directions). One live session per
 * endpoint: a device that bootstraps again gets a fresh session and the old one is cancelled.
 */
import { pooledRandomHex } from '../../random-pool.js';
import { systemClock, type Clock } from '../../clock.js';
import type { CoapEndpoint } from '../../coap/endpoint.js';
import type { IncomingRequest, OutgoingResponse } from '../../coap/types.js';
import { Lwm2mError } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import type { ModelLookup } from '../../model/types.js';
import { peerKey } from '../../transport/types.js';
import type { Route } from '../router.js';
import { checkBootstrapIdentity, endpointOfIdentity, parseBootstrapQuery } from './request-check.js';
import { BootstrapSession } from './session.js';
import { DEFAULT_CONFIG_ENDPOINT, type BootstrapConfigStore, type BootstrapEvent, type BootstrapSessionInfo } from './types.js';

export interface BootstrapServiceOptions {
  configs: BootstrapConfigStore;
  models: ModelLookup;
  /** Where `bootstrap` events go (the server's EventBus). */
  emit?: (e: BootstrapEvent) => void;
  clock?: Clock;
  logger?: Logger;
  /** Deadline of each request to the device (ms); default 30 s. */
  requestTimeoutMs?: number;
  /** Sessions running at once; more Bootstrap-Requests get 5.03. Default 10 000. */
  maxSessions?: number;
  /** Ended sessions kept for the API, newest first. Default 200. */
  keptSessions?: number;
  newId?: () => string;
}

export class BootstrapService {
  readonly #o: Required<Omit<BootstrapServiceOptions, 'emit'>> & { emit: (e: BootstrapEvent) => void };
  readonly #active = new Map<string, BootstrapSession>();
  readonly #ended: BootstrapSessionInfo[] = [];
  readonly #running = new Set<Promise<unknown>>();
  #stopped = false;

  constructor(o: BootstrapServiceOptions) {
    this.#o = {
      configs: o.configs,
      models: o.models,
      emit: o.emit ?? (() => undefined),
      clock: o.clock ?? systemClock,
      logger: o.logger ?? silentLogger(),
      requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
      maxSessions: o.maxSessions ?? 10_000,
      keptSessions: o.keptSessions ?? 200,
      newId: o.newId ?? (() => pooledRandomHex(6)),
    };
  }

  /** The route for `POST /bs` on a bootstrap listener; sessions talk back through `coap`. */
  route(coap: CoapEndpoint): Route {
    return async (req) => (req.path.length === 1 && req.path[0] === 'bs' ? this.#bootstrapRequest(req, coap) : undefined);
  }

  /** Sessions running now and recently ended ones (newest first), optionally for one endpoint. */
  sessions(endpoint?: string): BootstrapSessionInfo[] {
    const all = [...[...this.#active.values()].map((s) => s.info).reverse(), ...this.#ended];
    return (endpoint === undefined ? all : all.filter((s) => s.endpoint === endpoint)).map(copyInfo);
  }

  /** Resolves when every session started so far has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /**
   * Refuses new Bootstrap-Requests (5.03) and cancels the running sessions; each ends after its
   * request in flight, or at once when the listener's endpoint closes under it.
   */
  shutdown(): void {
    this.#stopped = true;
    for (const s of this.#active.values()) s.cancel('bootstrap server stopped');
  }

  /** `shutdown`, then waits for the sessions to end. */
  async stop(): Promise<void> {
    this.shutdown();
    await this.idle();
  }

  async #bootstrapRequest(req: IncomingRequest, coap: CoapEndpoint): Promise<OutgoingResponse> {
    if (req.method !== 'POST') throw new Lwm2mError('LWM2M_ERR_METHOD_NOT_ALLOWED', `${req.method} not allowed on /bs`);
    if (this.#stopped) throw new Lwm2mError('LWM2M_ERR_SERVICE_UNAVAILABLE', 'bootstrap server is stopping');
    const transport = req.identity ? 'coaps' : 'coap';
    const q = parseBootstrapQuery(req.query);
    const endpoint = q.endpoint ?? endpointOfIdentity(this.#o.configs, req.identity);
    if (endpoint === undefined) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', 'Bootstrap-Request without ep');
    if (endpoint === DEFAULT_CONFIG_ENDPOINT) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `"${DEFAULT_CONFIG_ENDPOINT}" is not an endpoint name`);
    const own = await this.#o.configs.get(endpoint);
    try {
      checkBootstrapIdentity(this.#o.configs, endpoint, own, transport, req.identity);
    } catch (e) {
      this.#o.logger.warn({ endpoint, transport, address: peerKey(req.peer), reason: (e as Error).message }, 'bootstrap refused');
      throw e;
    }
    const config = own ?? (await this.#o.configs.resolve(endpoint));
    // Core §5.2.7.1 / Transport §6.1: 4.00 for an Endpoint Client Name the server does not know.
    if (!config) throw new Lwm2mError('LWM2M_ERR_BAD_REQUEST', `no bootstrap configuration for endpoint "${endpoint}"`);
    const previous = this.#active.get(endpoint);
    if (!previous && this.#active.size >= this.#o.maxSessions) throw new Lwm2mError('LWM2M_ERR_SERVICE_UNAVAILABLE', 'too many bootstrap sessions');
    previous?.cancel('replaced by a new Bootstrap-Request');

    const session = new BootstrapSession({
      id: this.#o.newId(),
      endpoint,
      config,
      ...(q.pct === undefined ? {} : { pct: q.pct }),
      transport,
      address: peerKey(req.peer),
      send: (r) => coap.request(req.peer, r),
      models: this.#o.models,
      emit: (e) => this.#emit(e),
      logger: this.#o.logger,
      now: () => this.#o.clock.now(),
      requestTimeoutMs: this.#o.requestTimeoutMs,
    });
    this.#active.set(endpoint, session);
    this.#o.logger.info({ endpoint, session: session.info.sessionId, transport, address: session.info.address, pct: q.pct, config: own ? endpoint : DEFAULT_CONFIG_ENDPOINT }, 'bootstrap requested');
    // The session starts after the 2.04 has gone out (the responder sends it when this returns).
    const run = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#run(session, previous));
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
    return { code: '2.04' };
  }

  async #run(session: BootstrapSession, previous: BootstrapSession | undefined): Promise<void> {
    const info = await session.run();
    if (this.#active.get(session.info.endpoint) === session) this.#active.delete(session.info.endpoint);
    this.#ended.unshift(info);
    if (this.#ended.length > this.#o.keptSessions) this.#ended.length = this.#o.keptSessions;
    const level = info.state === 'finished' ? 'info' : 'warn';
    this.#o.logger[level]({ endpoint: info.endpoint, session: info.sessionId, state: info.state, error: info.error, steps: info.steps.length, replaced: previous?.info.sessionId }, 'bootstrap session ended');
  }

  #emit(e: BootstrapEvent): void {
    try {
      this.#o.emit(e);
    } catch (err) {
      this.#o.logger.warn({ err }, 'bootstrap event listener threw');
    }
  }
}

function copyInfo(i: BootstrapSessionInfo): BootstrapSessionInfo {
  const c: BootstrapSessionInfo = { ...i, steps: i.steps.map((s) => ({ ...s })) };
  if (i.readValues) c.readValues = i.readValues.map((v) => ({ ...v }));
  if (i.error) c.error = { ...i.error };
  return c;
}
