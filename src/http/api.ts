import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { isLwm2mError, Lwm2mError } from '../errors.js';
import type { Logger } from '../log.js';
import type { EventBus } from '../events.js';
import type { RequestDispatcher } from '../lwm2m/queue/dispatcher.js';
import type { ObservationService } from '../lwm2m/observe/observation-service.js';
import type { RegistrationService } from '../lwm2m/registration/registration-service.js';
import type { ModelLookup } from '../model/types.js';
import type { ObjectStore } from '../store/types.js';
import { tokenMatches } from './admin-token.js';
import { deviceJson } from './device-json.js';
import { registerDeviceRoutes } from './routes/device-routes.js';
import { registerEventStream } from './routes/event-stream.js';

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
}

/** Error bodies: `{ "error": { "code": "LWM2M_ERR_...", "message": "..." } }`. */
export function errorBody(e: Lwm2mError): { error: { code: string; message: string } } {
  return { error: { code: e.code, message: e.message } };
}

/** The management API (JSON over HTTP, bearer token). Routes are listed in the README. */
export async function buildApi(o: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: o.logger.child({ component: 'http' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 1024 * 1024 });

  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/api/v1/health') return;
    const header = req.headers.authorization ?? '';
    const m = /^Bearer (.+)$/.exec(header);
    if (!m || !tokenMatches(m[1]!, o.token)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send(errorBody(new Lwm2mError('LWM2M_ERR_UNAUTHENTICATED_API')));
    }
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

  app.get('/api/v1/devices', async () => {
    const regs = await o.registrations.store.list();
    return { devices: regs.map(deviceJson) };
  });

  app.get<{ Params: { ep: string } }>('/api/v1/devices/:ep', async (req) => {
    const reg = await o.registrations.store.getByEndpoint(req.params.ep);
    if (!reg) throw new Lwm2mError('LWM2M_ERR_UNKNOWN_DEVICE', `no device "${req.params.ep}" is registered`);
    return deviceJson(reg);
  });

  app.delete<{ Params: { ep: string } }>('/api/v1/devices/:ep', async (req) => {
    const gone = await o.registrations.deregisterEndpoint(req.params.ep);
    return { deregistered: deviceJson(gone) };
  });

  const m = o.management;
  if (m) {
    registerDeviceRoutes(app, { registrations: o.registrations.store, dispatcher: m.dispatcher, observations: m.observations, models: m.models, objectStore: m.objectStore });
    registerEventStream(app, m.events);
    app.get<{ Params: { id: string } }>('/api/v1/requests/:id', async (req) => {
      const r = await m.dispatcher.get(req.params.id);
      if (!r) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no request ${req.params.id}`);
      return r;
    });
  }

  return app;
}
