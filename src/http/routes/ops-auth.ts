import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../ops/types.js';
import { ADMIN_ACTOR } from '../../ops/token-service.js';

/** Which token made each API request, for the audit log. */
const actors = new WeakMap<FastifyRequest, Actor>();
/** Requests whose route wrote its own audit entry (the generic one is then skipped). */
const audited = new WeakSet<FastifyRequest>();

export function setActor(req: FastifyRequest, actor: Actor): void {
  actors.set(req, actor);
}

/** The admin actor when no token store is in use (the single admin token). */
export function actorOf(req: FastifyRequest): Actor {
  return actors.get(req) ?? ADMIN_ACTOR;
}

export function markAudited(req: FastifyRequest): void {
  audited.add(req);
}

export function isAudited(req: FastifyRequest): boolean {
  return audited.has(req);
}

/** Routes reachable without a token. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['/api/v1/health', '/api/v1/openapi.json']);

/** Methods a read-only token may use. */
export function isReadMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}
