import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { isLwm2mError, Lwm2mError } from '../../errors.js';
import { checkEndpoint, checkPskIdentity, pskKeyFromHex, summarize } from '../../security/credential-input.js';
import { toSpki } from '../../security/public-key.js';
import { sameCredentials } from '../../security/session-match.js';
import type { SecurityInfo, SecurityStore } from '../../security/types.js';

export interface SecurityRouteDeps {
  store: SecurityStore;
  /**
   * Called when credentials stop being valid: removed, or replaced by different ones. The
   * server drops the DTLS sessions they authenticated (`authenticatedBy` in
   * src/security/session-match.ts). Its failure is logged; the removal stands.
   */
  onRemove?: (endpoint: string, removed: SecurityInfo) => void | Promise<void>;
}

function bad(message: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Store and input validation errors are the client's fault here: 400 LWM2M_ERR_BAD_API_REQUEST. */
function asApiError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isLwm2mError(e) && e.code === 'LWM2M_ERR_BAD_REQUEST') throw bad(e.message);
    throw e;
  }
}

const MODES = ['psk', 'rpk', 'x509'] as const;

/**
 * `{endpoint, psk: {identity, key: hex}}`, `{endpoint, rpk: {publicKey: PEM | hex}}` or
 * `{endpoint, x509: {}}`. Messages name the offending field, never a key.
 */
export function parseSecurityBody(body: unknown): SecurityInfo {
  if (!isObject(body)) throw bad('body must be a JSON object');
  const unknown = Object.keys(body).filter((k) => k !== 'endpoint' && !(MODES as readonly string[]).includes(k));
  if (unknown.length > 0) throw bad(`unknown field "${unknown[0]}"`);
  const modes = MODES.filter((m) => body[m] !== undefined);
  if (modes.length !== 1) throw bad('give exactly one of "psk", "rpk" or "x509"');
  const mode = modes[0]!;
  const spec = body[mode];
  if (!isObject(spec)) throw bad(`"${mode}" must be an object`);
  return asApiError((): SecurityInfo => {
    const endpoint = checkEndpoint(body.endpoint);
    if (mode === 'psk') {
      onlyFields(spec, 'psk', ['identity', 'key']);
      return { endpoint, mode, identity: checkPskIdentity(spec.identity), key: pskKeyFromHex(spec.key) };
    }
    if (mode === 'rpk') {
      onlyFields(spec, 'rpk', ['publicKey']);
      if (typeof spec.publicKey !== 'string') throw bad('rpk.publicKey must be PEM or hex text');
      return { endpoint, mode, publicKey: toSpki(spec.publicKey) };
    }
    onlyFields(spec, 'x509', []);
    return { endpoint, mode };
  });
}

function onlyFields(spec: Record<string, unknown>, mode: string, allowed: string[]): void {
  const extra = Object.keys(spec).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw bad(`unknown field "${mode}.${extra}"`);
}

/** Device credentials: /api/v1/security (README: Management API). */
export function registerSecurityRoutes(app: FastifyInstance, d: SecurityRouteDeps): void {
  app.post('/api/v1/security', async (req, reply) => {
    const info = parseSecurityBody(req.body);
    let replaced: SecurityInfo | undefined;
    try {
      replaced = await d.store.add(info);
    } catch (e) {
      if (isLwm2mError(e) && e.code === 'LWM2M_ERR_BAD_REQUEST') throw bad(e.message);
      throw e;
    }
    req.log.info({ endpoint: info.endpoint, mode: info.mode, replaced: replaced?.mode }, 'security credentials added');
    if (replaced && !sameCredentials(replaced, info)) await revoked(req.log, d, replaced);
    return reply.code(replaced ? 200 : 201).send(replaced ? { added: summarize(info), replaced: summarize(replaced) } : { added: summarize(info) });
  });

  app.get('/api/v1/security', async () => ({ security: await d.store.list() }));

  app.get<{ Params: { ep: string } }>('/api/v1/security/:ep', async (req) => {
    const info = await d.store.get(req.params.ep);
    if (!info) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no credentials for endpoint "${req.params.ep}"`);
    return summarize(info);
  });

  app.delete<{ Params: { ep: string } }>('/api/v1/security/:ep', async (req) => {
    const gone = await d.store.remove(req.params.ep);
    if (!gone) throw new Lwm2mError('LWM2M_ERR_NOT_FOUND', `no credentials for endpoint "${req.params.ep}"`);
    req.log.info({ endpoint: gone.endpoint, mode: gone.mode }, 'security credentials removed');
    await revoked(req.log, d, gone);
    return { removed: summarize(gone) };
  });
}

async function revoked(log: FastifyBaseLogger, d: SecurityRouteDeps, info: SecurityInfo): Promise<void> {
  if (!d.onRemove) return;
  try {
    await d.onRemove(info.endpoint, info);
  } catch (e) {
    log.warn({ err: e, endpoint: info.endpoint }, 'dropping the sessions of revoked credentials failed');
  }
}
