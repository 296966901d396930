import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isLwm2mError, Lwm2mError } from '../errors.js';
import type { Logger } from '../log.js';
import type { EventBus } from '../events.js';
import type { RequestDispatcher } from '../lwm2m/queue/dispatcher.js';
import type { ObservationService } from '../lwm2m/observe/observation-service.js';
import type { RegistrationService } from '../lwm2m/registration/registration-service.js';
import type { ModelLookup } from '../model/types.js';
import type { ObjectStore } from '../store/types.js';
import type { Actor } from '../ops/types.js';
import { tokenMatches } from './admin-token.js';
import { deviceJson } from './device-json.js';
import { registerDeviceRoutes } from './routes/device-routes.js';
import { registerEventStream } from './routes/event-stream.js';
import { fleetDeviceJson, oneDevice, type Query } from './routes/fleet-filter.js';
import { listDevicesPage } from './routes/fleet-routes.js';
import { registerOpsApi, type OpsApi } from './routes/ops-api.js';
import { isReadMethod, PUBLIC_ROUTES, setActor } from './routes/ops-auth.js';
import { registerOpenApiRoute, trackRoutes } from './routes/openapi-routes.js';

export interface ApiOptions {
  registrations: RegistrationService;
  token: string;
  logger: Logger;
  /** Device management; without it only the registration routes exist. */
  management?: {
    events: EventBus;
    dispatcher: RequestDispatcher;
    observations: ObservationService;
    models: ModelLookup;
    objectStore: ObjectStore;
  };
  /** Operations layer: API tokens, quarantine, audit, tags, fleet queries, metrics, event journal. */
  ops?: OpsApi;
}

/** Longest URL parameter the router takes: any endpoint name (256 bytes at most), percent-encoded, fits. */
const MAX_PARAM_LENGTH = 1024;

/** Error bodies: `{ "error": { "code": "LWM2M_ERR_...", "message": "..." } }`. */
export function errorBody(e: Lwm2mError): { error: { code: string; message: string } } {
  return { error: { code: e.code, message: e.message } };
}

/** The management API (JSON over HTTP, bearer token). Routes are listed in the README. */
export async function buildApi(o: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Endpoint names may be 256 bytes of UTF-8 (src/lwm2m/endpoint-name.ts), 768 characters once
    // percent-encoded; Fastify's default of 100 per URL parameter refused longer ones.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // URLs the router refuses before any route runs get the API's error shape too.
    frameworkErrors: (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? `a URL segment is longer than ${MAX_PARAM_LENGTH} characters` : 'the URL is not valid (a bad percent-encoding?)';
      void reply.code(400).send(errorBody(new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', message)));
    },
  });
  trackRoutes(app);

  app.addHook('onRequest', async (req, reply) => {
    if (PUBLIC_ROUTES.has(req.url.split('?')[0]!)) return;
    const header = req.headers.authorization ?? '';
    const m = /^Bearer (.+)$/.exec(header);
    // The admin token (<data>/admin.token) always works; named tokens come from the token store.
    const actor: Actor | undefined = !m ? undefined : o.ops ? await o.ops.tokens.authenticate(m[1]!) : tokenMatches(m[1]!, o.token) ? ({ kind: 'token', name: 'admin' } as const) : undefined;
    if (!actor) {
      return reply.code(401).header('www-authenticate', 'Bearer').send(errorBody(new Lwm2mError('LWM2M_ERR_UNAUTHENTICATED_API')));
    }
    setActor(req, actor);
    if (actor.kind === 'token' && actor.readOnly && !isReadMethod(req.method)) {
      return reply.code(403).send(errorBody(new Lwm2mError('LWM2M_ERR_FORBIDDEN', `token "${actor.name}" is read-only`)));
    }
  });

  // `/devices//requests`: the router matches an empty endpoint name, which no device can have.
  app.addHook('preValidation', async (req) => {
    if ((req.params as { ep?: unknown } | undefined)?.ep === '') throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'the endpoint name in the URL is empty');
  });

  app.setErrorHandler((err: FastifyError | Lwm2mError, _req, reply) => {
    if (isLwm2mError(err)) return reply.code(err.httpStatus).send(errorBody(err));
    if (typeof err.statusCode === 'number' && err.statusCode < 500) {
      return reply.code(err.statusCode).send(errorBody(new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', err.message)));
    }
    o.logger.error({ err }, 'API request failed');
    return reply.code(500).send(errorBody(new Lwm2mError('LWM2M_ERR_INTERNAL')));
  });

  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody(new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no route ${req.method} ${req.url}`))));

  app.get('/api/v1/health', async () => ({ status: 'ok' }));
  registerOpenApiRoute(app);

  const fleet = o.ops && { registrations: o.registrations.store, quarantine: o.ops.quarantine, tags: o.ops.tags, ...(o.ops.isAwake ? { isAwake: o.ops.isAwake } : {}) };
  app.get<{ Querystring: Query }>('/api/v1/devices', async (req) => listDevicesPage(req.query, fleet ?? { registrations: o.registrations.store }, { plain: !fleet }));

  app.get<{ Params: { ep: string } }>('/api/v1/devices/:ep', async (req) => {
    if (fleet) {
      // With the operations layer a quarantined device is visible too, with its quarantine.
      const d = await oneDevice(req.params.ep, fleet);
      if (!d) throw new Lwm2mError('LWM2M_ERR_UNKNOWN_DEVICE', `no device "${req.params.ep}" is registered`);
      return fleetDeviceJson(d);
    }
    const reg = o.registrations.store.getByEndpoint(req.params.ep);
    if (!reg) throw new Lwm2mError('LWM2M_ERR_UNKNOWN_DEVICE', `no device "${req.params.ep}" is registered`);
    return deviceJson(reg);
  });

  app.delete<{ Params: { ep: string } }>('/api/v1/devices/:ep', async (req) => {
    const gone = await o.registrations.deregisterEndpoint(req.params.ep);
    return { deregistered: deviceJson(gone) };
  });

  const m = o.management;
  if (m) {
    // The server's clock, as the fleet history and the audit log have it, for "2h ago".
    registerDeviceRoutes(app, { registrations: o.registrations.store, dispatcher: m.dispatcher, observations: m.observations, models: m.models, objectStore: m.objectStore, ...(o.ops?.clock ? { clock: o.ops.clock } : {}) });
    registerEventStream(app, o.ops?.journal ?? m.events, o.ops?.metrics ? { onClients: (n) => o.ops!.metrics!.eventStreamClients.inc({}, n) } : {});
    app.get<{ Params: { id: string } }>('/api/v1/requests/:id', async (req) => {
      const r = await m.dispatcher.get(req.params.id);
      if (!r) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no request ${req.params.id}`);
      return r;
    });
    // Withdraws a request still waiting for its sleeping device (412 once it has gone out).
    app.delete<{ Params: { id: string } }>('/api/v1/requests/:id', async (req) => ({ cancelled: await m.dispatcher.cancel(req.params.id) }));
    // A device's waiting requests in delivery order; also for a device that is not registered
    // now (its requests wait for it to register again, until their TTL).
    app.get<{ Params: { ep: string } }>('/api/v1/devices/:ep/requests', async (req) => ({ requests: await m.dispatcher.pending(req.params.ep) }));
  }

  if (o.ops) registerOpsApi(app, o.ops, { registrations: o.registrations.store, ...(m ? { objectStore: m.objectStore } : {}) });

  return app;
}
