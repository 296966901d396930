import type { FastifyInstance } from 'fastify';
import { Lwm2mError } from '../../errors.js';
import type { ApiTokenService } from '../../ops/token-service.js';
import { actorOf, markAudited } from './ops-auth.js';

/** `POST/GET /api/v1/tokens`, `DELETE /api/v1/tokens/{id}`: named API tokens (the secret is shown once). */
export function registerTokenRoutes(app: FastifyInstance, tokens: ApiTokenService): void {
  app.post<{ Body: unknown }>('/api/v1/tokens', async (req, reply) => {
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'body is {"name": "...", "readOnly": true|false}');
    const { name, readOnly } = body as { name?: unknown; readOnly?: unknown };
    if (typeof name !== 'string') throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'name is required');
    if (readOnly !== undefined && typeof readOnly !== 'boolean') throw new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', 'readOnly must be true or false');
    markAudited(req);
    const { token, info } = await tokens.create({ name, readOnly: readOnly === true }, actorOf(req));
    return reply.code(201).send({ ...info, token });
  });

  app.get('/api/v1/tokens', async () => ({ tokens: await tokens.list() }));

  app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', async (req) => {
    markAudited(req);
    return { revoked: await tokens.revoke(req.params.id, actorOf(req)) };
  });
}
