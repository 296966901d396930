import type { FastifyInstance } from 'fastify';
import { isLwm2mError, Lwm2mError } from '../../errors.js';
import type { BootstrapService } from '../../lwm2m/bootstrap/bootstrap-service.js';
import { configToJson, parseBootstrapConfig } from '../../lwm2m/bootstrap/config-json.js';
import type { BootstrapProvisioner } from '../../lwm2m/bootstrap/provisioning.js';
import { bootstrapTriggerOperation } from '../../lwm2m/bootstrap/trigger.js';
import type { Operation } from '../../lwm2m/management/operation.js';
import type { Submission } from '../../lwm2m/queue/dispatcher.js';
import type { RegistrationStore } from '../../store/types.js';
import { sendSubmission } from './operation-reply.js';

export interface BootstrapRouteDeps {
  provisioner: BootstrapProvisioner;
  /** Sessions of the running bootstrap server (absent when it is switched off). */
  service?: BootstrapService;
  /** Server-initiated bootstrap needs the registrations and the request dispatcher. */
  registrations?: Pick<RegistrationStore, 'getByEndpoint'>;
  submit?: (endpoint: string, op: Operation, opts: { timeoutMs?: number }) => Promise<Submission>;
}

/** Validation errors are the API client's fault here: 400 LWM2M_ERR_BAD_API_REQUEST. */
async function asApiError<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isLwm2mError(e) && e.code === 'LWM2M_ERR_BAD_REQUEST') throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', e.message);
    throw e;
  }
}

function instanceOf(q: Record<string, string | undefined>): number | undefined {
  if (q.instance === undefined) return undefined;
  if (!/^\d{1,5}$/.test(q.instance) || Number(q.instance) > 65534) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'instance must be an object instance id');
  return Number(q.instance);
}

/**
 * Bootstrap configurations, sessions and server-initiated bootstrap: /api/v1/bootstrap/...
 * (README: Bootstrap server). Keys are accepted in request bodies and never returned.
 */
export function registerBootstrapRoutes(app: FastifyInstance, d: BootstrapRouteDeps): void {
  const put = async (body: unknown, endpoint: string | undefined) => {
    const config = await asApiError(() => parseBootstrapConfig(body, endpoint));
    const res = await asApiError(() => d.provisioner.add(config));
    // Never the keys: endpoint, modes and identities only.
    app.log.info({ endpoint: config.endpoint, servers: res.config.servers.length, security: res.security?.mode, replaced: res.replaced !== undefined }, 'bootstrap configuration stored');
    return res;
  };

  app.get('/api/v1/bootstrap/configs', async () => ({ configs: await d.provisioner.configs.list() }));

  app.get<{ Params: { ep: string } }>('/api/v1/bootstrap/configs/:ep', async (req) => {
    const c = await d.provisioner.configs.get(req.params.ep);
    if (!c) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no bootstrap configuration for endpoint "${req.params.ep}"`);
    return configToJson(c, { secrets: false });
  });

  app.put<{ Params: { ep: string } }>('/api/v1/bootstrap/configs/:ep', async (req, reply) => {
    const res = await put(req.body, req.params.ep);
    return reply.code(res.replaced ? 200 : 201).send(res);
  });

  app.post('/api/v1/bootstrap/configs', async (req, reply) => {
    const res = await put(req.body, undefined);
    return reply.code(res.replaced ? 200 : 201).send(res);
  });

  app.delete<{ Params: { ep: string }; Querystring: { security?: string } }>('/api/v1/bootstrap/configs/:ep', async (req) => {
    const res = await d.provisioner.remove(req.params.ep, { security: req.query.security === 'true' || req.query.security === '1' });
    if (!res) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no bootstrap configuration for endpoint "${req.params.ep}"`);
    return res;
  });

  app.get<{ Querystring: { ep?: string } }>('/api/v1/bootstrap/sessions', async (req) => {
    if (!d.service) throw new Lwm2mError('LWM2M_ERR_SERVICE_UNAVAILABLE', 'the bootstrap server is switched off');
    return { sessions: d.service.sessions(req.query.ep) };
  });

  // Server-initiated bootstrap (Core §5.2.3): Execute /1/x/9 on a registered device.
  app.post<{ Params: { ep: string }; Querystring: Record<string, string | undefined> }>('/api/v1/bootstrap/trigger/:ep', async (req, reply) => {
    if (!d.registrations || !d.submit) throw new Lwm2mError('LWM2M_ERR_SERVICE_UNAVAILABLE', 'device management is not available');
    const op = await asApiError(() => bootstrapTriggerOperation(d.registrations!, req.params.ep, instanceOf(req.query)));
    return sendSubmission(reply, await d.submit(req.params.ep, op, {}));
  });
}
