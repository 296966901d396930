import { listenError } from './transport/udp-bind.js';
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from './clock.js';
import { CoapEndpoint } from './coap/endpoint.js';
import { resolveConfig, type ConfigInput, type ServerConfig } from './config.js';
import { EventBus } from './events.js';
import { ensureAdminToken } from './http/admin-token.js';
import { buildApi } from './http/api.js';
import { createLogger, type Logger } from './log.js';
import { DeviceManager } from './lwm2m/management/device-manager.js';
import { ObservationService } from './lwm2m/observe/observation-service.js';
import { RequestDispatcher } from './lwm2m/queue/dispatcher.js';
import { Presence } from './lwm2m/queue/presence.js';
import { registrationRoutes } from './lwm2m/registration/coap-adapter.js';
import { RegistrationService } from './lwm2m/registration/registration-service.js';
import { routeRequests } from './lwm2m/router.js';
import { sendRoute } from './lwm2m/send/send-route.js';
import { ModelRegistry } from './model/registry.js';
import { openStores, type Stores } from './stores.js';
import { UdpTransport } from './transport/udp.js';
import { DeviceRouter } from './device-router.js';
import { BootstrapService } from './lwm2m/bootstrap/bootstrap-service.js';
import { startBootstrapListeners, type BootstrapListeners } from './lwm2m/bootstrap/listeners.js';
import { BootstrapProvisioner } from './lwm2m/bootstrap/provisioning.js';
import { registerBootstrapRoutes } from './http/routes/bootstrap-routes.js';
import { DtlsServerTransport } from './dtls/index.js';
import { RetentionSweep } from './store/retention-sweep.js';
import { registerSecurityRoutes } from './http/routes/security-routes.js';
import { securityRegistrationGuard } from './security/registration-guard.js';
import { loadServerKeys } from './security/server-keys.js';
import { authenticatedBy } from './security/session-match.js';
import { loadTrustedCas } from './security/trusted-cas.js';
import { openOpsLayer, type OpsLayer } from './ops/ops-layer.js';
import { registerRulesRoutes } from './http/routes/rules-routes.js';
import { startRules, type Rules } from './rules/index.js';
import { LevelRuleStore } from './store/rule-store-level.js';
import { MemoryRuleStore } from './store/rule-store-memory.js';
import type { PeerAddress } from './transport/types.js';

export interface Lwm2mServer {
  readonly config: Readonly<ServerConfig>;
  readonly events: EventBus;
  readonly stores: Stores;
  readonly registrations: RegistrationService;
  readonly models: ModelRegistry;
  readonly coap: CoapEndpoint;
  /** The CoAPs (DTLS) endpoint and its transport, when enabled. */
  readonly coaps: CoapEndpoint | undefined;
  readonly dtls: DtlsServerTransport | undefined;
  readonly manager: DeviceManager;
  readonly observations: ObservationService;
  readonly dispatcher: RequestDispatcher;
  /** Quarantine, protection, audit, tags, tokens, event journal, metrics. */
  readonly ops: OpsLayer;
  /** The management API (fastify), when enabled. */
  readonly api: FastifyInstance | undefined;
  /** Machine-to-machine automation rules. */
  readonly rules: Rules;
  coapAddress(): PeerAddress;
  coapsAddress(): PeerAddress | undefined;
  /** The bootstrap server's CoAP address, when enabled. */
  bootstrapAddress(): PeerAddress | undefined;
  /** The bootstrap server's CoAPs address, when enabled. */
  bootstrapSecureAddress(): PeerAddress | undefined;
  /** "http://host:port" of the management API, when enabled. */
  httpUrl(): string | undefined;
  adminToken(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
}

/** Builds the whole stack from a config object (layers in ARCHITECTURE.md) and starts it. */
export async function startServer(input: ConfigInput = {}, options: StartOptions = {}): Promise<Lwm2mServer> {
  const config = resolveConfig(input);
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const clock = options.clock ?? systemClock;
  const events = new EventBus();
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  };
  const child = (component: string) => logger.child({ component });
  try {
    const models = await ModelRegistry.builtin();
    for (const dir of config.objectsDirs) await models.loadDirectory(dir);
    let onBatch = (_seconds: number): void => undefined;
    const stores = await openStores(config, logger, { onBatch: (seconds) => onBatch(seconds) });
    cleanups.push(() => stores.close());

    const registrations = new RegistrationService({
      store: stores.registrations,
      events,
      clock,
      logger: child('registration'),
      expiryGraceMs: config.registration.expiryGraceMs,
      sweepIntervalMs: config.registration.sweepIntervalMs,
      followAddressOnUpdate: config.registration.followAddressOnUpdate,
    });

    // DTLS identities must match the endpoint; endpoints with credentials cannot use plain CoAP.
    registrations.addGuard(securityRegistrationGuard(stores.security, { logger: child('security') }));

    const transport = await UdpTransport.bind({ host: config.coap.host, port: config.coap.port, logger, listener: 'CoAP' });
    const coap = new CoapEndpoint({ transport, clock, logger: child('coap') });
    cleanups.push(() => coap.close());
    let dtls: DtlsServerTransport | undefined;
    let coaps: CoapEndpoint | undefined;
    if (config.dtls.enabled) {
      const keys = await loadServerKeys({ dataDir: config.dataDir, certFile: config.dtls.certFile, keyFile: config.dtls.keyFile, clock, logger: child('security') });
      const cas = await loadTrustedCas(config.dtls.caFiles);
      const bound = await DtlsServerTransport.bind({
        host: config.dtls.host,
        port: config.dtls.port,
        clock,
        logger: child('dtls'),
        psk: (identity) => stores.security.pskKeyFor(identity),
        certificate: {
          privateKey: keys.privateKey,
          chain: keys.chain,
          trustedCas: cas.map((c) => c.raw),
          trustRawPublicKey: (spki) => stores.security.endpointForPublicKey(spki) !== undefined,
        },
        limits: {
          ...(config.dtls.sessionsPerAddress !== undefined ? { maxSessionsPerAddress: config.dtls.sessionsPerAddress } : {}),
          ...(config.dtls.handshakesPerAddress !== undefined ? { maxHandshakesPerAddress: config.dtls.handshakesPerAddress } : {}),
        },
      });
      dtls = bound;
      coaps = new CoapEndpoint({ transport: bound, clock, logger: child('coaps') });
      const secured = coaps;
      cleanups.push(() => secured.close());
    }
    const router = new DeviceRouter(coap, coaps);
    await router.load(stores.registrations, events);

    const common = { registrations: stores.registrations, models, events, objectStore: stores.objects, clock };
    const presence = new Presence({ clock, awakeWindowMs: config.queue.awakeWindowMs });
    const manager = new DeviceManager({ ...common, port: router, logger: child('management'), timeoutMs: config.management.requestTimeoutMs });
    // The dispatcher is created below; notifications and Sends wake a sleeping device through it.
    let wake = (_endpoint: string): void => undefined;
    const observations = new ObservationService({
      ...common,
      port: router,
      observations: stores.observations,
      logger: child('observe'),
      reobserveOnRegister: config.management.reobserveOnRegister,
      onDeviceSeen: (ep) => wake(ep),
    });
    const dispatcher = new RequestDispatcher({
      registrations: stores.registrations,
      manager,
      observations,
      queue: stores.queue,
      presence,
      events,
      clock,
      logger: child('queue'),
      ttlMs: config.queue.ttlMs,
    });
    wake = (ep) => dispatcher.wake(ep);
    const token = await ensureAdminToken(config.dataDir);
    const ops = await openOpsLayer({
      storage: stores.level ?? 'memory',
      registrations: stores.registrations,
      events,
      adminToken: token,
      clock,
      logger: child('ops'),
      protection: config.protection,
      journalCapacity: config.events.bufferSize,
      journalResumeWindowMs: config.events.resumeWindowMs,
      isAwake: (ep) => presence.isAwake(ep),
      queueDepth: () => stores.queue.depth(),
      coapStats: () => coap.stats(),
      ...(dtls ? { dtlsStats: () => dtls!.stats() } : {}),
      teardown: {
        deregister: (ep) => registrations.deregisterEndpoint(ep),
        cancelObservations: (ep) => observations.removeEndpoint(ep),
        cancelQueued: (ep) => dispatcher.cancelAll(ep, 'the device was quarantined'),
        ...(dtls ? { closeDtlsSessions: (p: Parameters<DtlsServerTransport['closeSessions']>[0]) => dtls!.closeSessions(p) } : {}),
      },
    });
    cleanups.push(() => ops.close());
    onBatch = (seconds) => ops.metrics.storeWriteSeconds.observe(seconds);
    // Quarantined devices are refused on every path; the gate also applies the rate limits.
    registrations.addGuard(ops.guard);
    const handle = routeRequests([ops.gate, registrationRoutes(registrations), sendRoute({ ...common, onDeviceSeen: wake })]);
    for (const endpoint of coaps ? [coap, coaps] : [coap]) {
      endpoint.onOrphanNotification((res) => observations.acceptOrphan(res));
      endpoint.onRequest(handle);
    }

    let bootstrap: BootstrapService | undefined;
    let bsListeners: BootstrapListeners | undefined;
    if (config.bootstrap.enabled) {
      bootstrap = new BootstrapService({
        configs: stores.bootstrapConfigs,
        models,
        clock,
        logger: child('bootstrap'),
        requestTimeoutMs: config.bootstrap.requestTimeoutMs,
        emit: (e) => events.emit('bootstrap', e),
      });
      const listeners = await startBootstrapListeners({
        service: bootstrap,
        configs: stores.bootstrapConfigs,
        host: config.bootstrap.host,
        port: config.bootstrap.port,
        ...(config.bootstrap.dtls ? { securePort: config.bootstrap.securePort } : {}),
        clock,
        logger: child('bootstrap'),
        gate: ops.gate,
      });
      bsListeners = listeners;
      cleanups.push(() => listeners.close());
    }
    events.on('registered', ({ registration }) => {
      wake(registration.endpoint);
      // After the 2.01 has gone out: the device forgot its observations, set them up again.
      if (observations.holds(registration.endpoint)) setImmediate(() => void observations.reestablish(registration).catch((e: unknown) => logger.warn({ err: e }, 're-observe failed')));
    });
    events.on('updated', ({ registration }) => wake(registration.endpoint));
    for (const name of ['deregistered', 'expired'] as const) {
      events.on(name, ({ registration }) => {
        observations.detachEndpoint(registration.endpoint);
        presence.forget(registration.endpoint);
      });
    }

    const ruleStore = stores.level ? await LevelRuleStore.open(stores.level.db, { writer: stores.level.writer, logger: child('rules') }) : new MemoryRuleStore();
    cleanups.push(() => ruleStore.close());
    const rules = await startRules({
      store: ruleStore,
      events,
      ruleEvents: events,
      dispatcher,
      registrations: stores.registrations,
      observations,
      latestValues: stores.objects,
      models,
      clock,
      logger: child('rules'),
      tags: {
        endpointsWithTag: async (key, value) => [...(await ops.tags.all())].filter(([, t]) => t[key] === value).map(([ep]) => ep),
        tagsOf: (ep) => ops.tags.get(ep),
      },
      quarantine: { isQuarantined: (ep) => ops.quarantine.get(ep) !== undefined },
      audit: {
        record: async (e) => void (await ops.audit.record(e.by !== undefined ? { kind: 'token', name: e.by } : { kind: 'system', component: 'rules' }, e.action, e.target, e.details)),
      },
    });
    cleanups.push(() => rules.stop());

    await registrations.start();
    cleanups.push(() => registrations.stop());
    const retention = new RetentionSweep({ store: stores.objects, clock, intervalMs: config.objectStore.retentionSweepMs, logger: child('store') });
    retention.start();
    cleanups.push(() => retention.stop());
    await observations.start();
    dispatcher.start();
    cleanups.push(() => dispatcher.stop());

    let httpUrl: string | undefined;
    let api: FastifyInstance | undefined;
    if (config.http.enabled) {
      const app = await buildApi({ registrations, token, logger, management: { events, dispatcher, observations, models, objectStore: stores.objects }, ops: ops.api });
      // Removing or changing a device's credentials ends its DTLS sessions at once.
      registerSecurityRoutes(app, { store: stores.security, onRemove: (_ep, removed) => void dtls?.closeSessions((session) => authenticatedBy(removed, session.identity)) });
      registerBootstrapRoutes(app, {
        provisioner: new BootstrapProvisioner({ configs: stores.bootstrapConfigs, security: stores.security }),
        ...(bootstrap ? { service: bootstrap } : {}),
        registrations: stores.registrations,
        submit: (ep, op, o) => dispatcher.submit(ep, op, o),
      });
      registerRulesRoutes(app, { rules: rules.service });
      api = app;
      await app.listen({ host: config.http.host, port: config.http.port }).catch((e: unknown) => {
        throw listenError(e, 'management API', config.http.host, config.http.port);
      });
      cleanups.push(() => app.close());
      const addr = app.server.address();
      if (addr && typeof addr === 'object') httpUrl = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
    }
    const coapAddr = transport.address();
    const coapsAddr = dtls?.address();
    const bsAddr = bsListeners?.coapAddress();
    const bsSecureAddr = bsListeners?.coapsAddress();
    logger.info({ coap: `${coapAddr.address}:${coapAddr.port}`, coaps: coapsAddr ? `${coapsAddr.address}:${coapsAddr.port}` : undefined, bootstrap: bsAddr ? `${bsAddr.address}:${bsAddr.port}` : undefined, bootstrapDtls: bsSecureAddr ? `${bsSecureAddr.address}:${bsSecureAddr.port}` : undefined, http: httpUrl, storage: config.storage, dataDir: config.dataDir }, 'LwM2M server started');
    return {
      config,
      events,
      stores,
      registrations,
      models,
      coap,
      coaps,
      dtls,
      manager,
      observations,
      dispatcher,
      ops,
      rules,
      api,
      coapAddress: () => transport.address(),
      coapsAddress: () => dtls?.address(),
      bootstrapAddress: () => bsListeners?.coapAddress(),
      bootstrapSecureAddress: () => bsListeners?.coapsAddress(),
      httpUrl: () => httpUrl,
      adminToken: () => token,
      stop,
    };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
