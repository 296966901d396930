import type { FastifyInstance } from 'fastify';
import { openApiDocument } from '../openapi.js';

/** `GET /api/v1/openapi.json` (no token: the description of the API is not a secret). */
export function registerOpenApiRoute(app: FastifyInstance): void {
  app.get('/api/v1/openapi.json', async () => openApiDocument);
}

export interface RouteEntry {
  method: string;
  url: string;
}

const tables = new WeakMap<FastifyInstance, RouteEntry[]>();

/**
 * Records every route registered on `app` from now on (call right after creating it), so the
 * OpenAPI test can compare what is served with what is documented.
 */
export function trackRoutes(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  tables.set(app, table);
  app.addHook('onRoute', (r) => {
    for (const method of Array.isArray(r.method) ? r.method : [r.method]) table.push({ method: String(method), url: r.url });
  });
}

export function routesOf(app: FastifyInstance): readonly RouteEntry[] {
  return tables.get(app) ?? [];
}
