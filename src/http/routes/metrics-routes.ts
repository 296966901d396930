import type { FastifyInstance } from 'fastify';
import type { ServerMetrics } from '../../ops/server-metrics.js';

/** `GET /metrics`: Prometheus text format (a bearer token is needed like everywhere else). */
export function registerMetricsRoute(app: FastifyInstance, metrics: ServerMetrics): void {
  app.get('/metrics', async (_req, reply) => {
    await metrics.refresh();
    return reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(metrics.registry.render());
  });
}
