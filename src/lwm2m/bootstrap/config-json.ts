/**
 * The JSON form of a bootstrap configuration (API bodies, `--from-file`, LevelDB values):
 * bytes as hex. Parsing validates everything once; error messages name the field, never a
 * secret value, so a bad key cannot leak through an error or a log line.
 */
import { Lwm2mError } from '../../errors.js';
import { checkEndpoint, checkPskIdentity, checkPskKey } from '../../security/credential-input.js';
import {
  DEFAULT_CONFIG_ENDPOINT,
  type AccountSecurity,
  type AclEntry,
  type BootstrapAccount,
  type BootstrapConfig,
  type BootstrapConfigSummary,
  type ServerAccount,
} from './types.js';

type Json = Record<string, unknown>;

function bad(message: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_BAD_REQUEST', message);
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function only(o: Json, where: string, allowed: readonly string[]): void {
  const extra = Object.keys(o).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw bad(`unknown field "${where}${extra}"`);
}

function int(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(`${name} must be an integer from ${min} to ${max}`);
  return v;
}

function optInt(o: Json, key: string, where: string, min: number, max: number): number | undefined {
  return o[key] === undefined ? undefined : int(o[key], `${where}${key}`, min, max);
}

function hex(v: unknown, name: string, maxBytes = 8192): Buffer {
  if (typeof v !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(v)) throw bad(`${name} must be hex: an even number of 0-9a-f digits`);
  const b = Buffer.from(v, 'hex');
  if (b.length > maxBytes) throw bad(`${name} must be at most ${maxBytes} bytes`);
  return b;
}

/** LwM2M Server URIs (Core §E.1 /0/x/0): coap, coaps, coap+tcp, coaps+tcp with a host. */
export function checkServerUri(v: unknown, name: string): string {
  if (typeof v !== 'string') throw bad(`${name} must be a URI string`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw bad(`${name} is not a valid URI`);
  }
  if (!['coap:', 'coaps:', 'coap+tcp:', 'coaps+tcp:'].includes(u.protocol) || u.hostname === '') {
    throw bad(`${name} must be coap://, coaps://, coap+tcp:// or coaps+tcp:// with a host`);
  }
  return v;
}

const BINDING = /^(?:U|T|S|N|UQ|SQ|UQS|US)$|^[UTSNQ]{1,5}$/;

export function parseSecurity(v: unknown, where: string): AccountSecurity {
  if (!isObject(v)) throw bad(`${where} must be an object`);
  const p = `${where}.`;
  switch (v.mode) {
    case 'nosec':
      only(v, p, ['mode']);
      return { mode: 'nosec' };
    case 'psk':
      only(v, p, ['mode', 'identity', 'key']);
      return { mode: 'psk', identity: checkPskIdentity(v.identity), key: checkPskKey(hex(v.key, `${p}key`, 64)) };
    case 'rpk':
      only(v, p, ['mode', 'publicKey', 'serverPublicKey', 'privateKey']);
      return { mode: 'rpk', publicKey: hex(v.publicKey, `${p}publicKey`), serverPublicKey: hex(v.serverPublicKey ?? '', `${p}serverPublicKey`), privateKey: hex(v.privateKey ?? '', `${p}privateKey`) };
    case 'x509':
      only(v, p, ['mode', 'certificate', 'serverCertificate', 'privateKey']);
      return { mode: 'x509', certificate: hex(v.certificate ?? '', `${p}certificate`), serverCertificate: hex(v.serverCertificate ?? '', `${p}serverCertificate`), privateKey: hex(v.privateKey ?? '', `${p}privateKey`) };
    default:
      throw bad(`${p}mode must be nosec, psk, rpk or x509`);
  }
}

function parseServer(v: unknown, i: number): ServerAccount {
  const where = `servers[${i}]`;
  if (!isObject(v)) throw bad(`${where} must be an object`);
  const p = `${where}.`;
  only(v, p, ['shortServerId', 'uri', 'lifetime', 'binding', 'notificationStoring', 'defaultMinPeriod', 'defaultMaxPeriod', 'security', 'securityInstanceId', 'serverInstanceId', 'local']);
  const binding = v.binding ?? 'U';
  if (typeof binding !== 'string' || !BINDING.test(binding)) throw bad(`${p}binding must be a binding such as "U" or "UQ"`);
  if (v.notificationStoring !== undefined && typeof v.notificationStoring !== 'boolean') throw bad(`${p}notificationStoring must be true or false`);
  if (v.local !== undefined && typeof v.local !== 'boolean') throw bad(`${p}local must be true or false`);
  const s: ServerAccount = {
    // Core §E.1: Short Server IDs 0 and 65535 are reserved.
    shortServerId: int(v.shortServerId ?? i + 1, `${p}shortServerId`, 1, 65534),
    uri: checkServerUri(v.uri, `${p}uri`),
    lifetime: int(v.lifetime ?? 86400, `${p}lifetime`, 1, 0xffffffff),
    binding,
    notificationStoring: (v.notificationStoring as boolean | undefined) ?? true,
    security: parseSecurity(v.security ?? { mode: 'nosec' }, `${p}security`),
  };
  const min = optInt(v, 'defaultMinPeriod', p, 0, 0xffffffff);
  const max = optInt(v, 'defaultMaxPeriod', p, 0, 0xffffffff);
  const sec = optInt(v, 'securityInstanceId', p, 0, 65534);
  const srv = optInt(v, 'serverInstanceId', p, 0, 65534);
  if (min !== undefined) s.defaultMinPeriod = min;
  if (max !== undefined) s.defaultMaxPeriod = max;
  if (sec !== undefined) s.securityInstanceId = sec;
  if (srv !== undefined) s.serverInstanceId = srv;
  if (v.local === true) s.local = true;
  return s;
}

function parseBootstrapAccount(v: unknown): BootstrapAccount {
  if (!isObject(v)) throw bad('bootstrap must be an object');
  only(v, 'bootstrap.', ['security', 'uri', 'shortServerId', 'holdOffTime', 'accountTimeout', 'instanceId']);
  const a: BootstrapAccount = { security: parseSecurity(v.security ?? { mode: 'nosec' }, 'bootstrap.security') };
  if (v.uri !== undefined) a.uri = checkServerUri(v.uri, 'bootstrap.uri');
  const ssid = optInt(v, 'shortServerId', 'bootstrap.', 1, 65534);
  if (ssid !== undefined) a.shortServerId = ssid;
  const hold = optInt(v, 'holdOffTime', 'bootstrap.', 0, 0xffffffff);
  const timeout = optInt(v, 'accountTimeout', 'bootstrap.', 0, 0xffffffff);
  const id = optInt(v, 'instanceId', 'bootstrap.', 0, 65534);
  if (hold !== undefined) a.holdOffTime = hold;
  if (timeout !== undefined) a.accountTimeout = timeout;
  if (id !== undefined) a.instanceId = id;
  return a;
}

function parseAcl(v: unknown, i: number): AclEntry {
  const p = `acls[${i}].`;
  if (!isObject(v)) throw bad(`acls[${i}] must be an object`);
  only(v, p, ['objectId', 'objectInstanceId', 'acl', 'owner', 'instanceId']);
  if (!isObject(v.acl)) throw bad(`${p}acl must be an object of Short Server ID -> rights`);
  const acl: Record<string, number> = {};
  for (const [ssid, rights] of Object.entries(v.acl)) {
    int(Number(ssid), `${p}acl key "${ssid}"`, 0, 65534);
    acl[String(Number(ssid))] = int(rights, `${p}acl["${ssid}"]`, 0, 31);
  }
  const e: AclEntry = {
    objectId: int(v.objectId, `${p}objectId`, 1, 65534),
    objectInstanceId: int(v.objectInstanceId ?? 65535, `${p}objectInstanceId`, 0, 65535),
    acl,
    owner: int(v.owner ?? 65535, `${p}owner`, 1, 65535),
  };
  const id = optInt(v, 'instanceId', p, 0, 65534);
  if (id !== undefined) e.instanceId = id;
  return e;
}

const PATH = /^\/(?:\d{1,5}(?:\/\d{1,5})?)?$/;

/** Validates a JSON configuration; `endpoint` (from a URL) wins over the body's when given. */
export function parseBootstrapConfig(body: unknown, endpoint?: string): BootstrapConfig {
  if (!isObject(body)) throw bad('configuration must be a JSON object');
  only(body, '', ['endpoint', 'servers', 'bootstrap', 'acls', 'delete', 'contentFormat', 'discover', 'read']);
  const ep = endpoint ?? body.endpoint;
  const name = ep === DEFAULT_CONFIG_ENDPOINT ? ep : checkEndpoint(ep);
  if (!Array.isArray(body.servers) || body.servers.length === 0) throw bad('servers must be a non-empty array');
  if (body.servers.length > 16) throw bad('at most 16 servers');
  const servers = body.servers.map(parseServer);
  const ssids = new Set(servers.map((s) => s.shortServerId));
  if (ssids.size !== servers.length) throw bad('servers must have distinct shortServerId values');
  if (body.acls !== undefined && !(Array.isArray(body.acls) && body.acls.length <= 256)) throw bad('acls must be an array of at most 256 entries');
  const acls = body.acls === undefined ? [] : (body.acls as unknown[]).map(parseAcl);
  const paths = (key: 'delete' | 'read', fallback: string[]): string[] => {
    const v = body[key] ?? fallback;
    if (!Array.isArray(v) || v.length > 32 || !v.every((x) => typeof x === 'string' && PATH.test(x))) {
      throw bad(`${key} must be an array of paths such as "/0" or "/1/0"`);
    }
    return [...(v as string[])];
  };
  if (body.discover !== undefined && typeof body.discover !== 'boolean') throw bad('discover must be true or false');
  const config: BootstrapConfig = {
    endpoint: name,
    servers,
    acls,
    delete: paths('delete', ['/0', '/1']),
    discover: (body.discover as boolean | undefined) ?? true,
    read: paths('read', []),
  };
  if (body.bootstrap !== undefined) config.bootstrap = parseBootstrapAccount(body.bootstrap);
  if (body.contentFormat !== undefined) config.contentFormat = int(body.contentFormat, 'contentFormat', 0, 65535);
  return config;
}

function securityJson(s: AccountSecurity, secrets: boolean): Json {
  switch (s.mode) {
    case 'nosec':
      return { mode: 'nosec' };
    case 'psk':
      return secrets ? { mode: 'psk', identity: s.identity, key: s.key.toString('hex') } : { mode: 'psk', identity: s.identity };
    case 'rpk': {
      const pub = { mode: 'rpk', publicKey: s.publicKey.toString('hex'), serverPublicKey: s.serverPublicKey.toString('hex') };
      return secrets ? { ...pub, privateKey: s.privateKey.toString('hex') } : pub;
    }
    case 'x509': {
      const pub = { mode: 'x509', certificate: s.certificate.toString('hex'), serverCertificate: s.serverCertificate.toString('hex') };
      return secrets ? { ...pub, privateKey: s.privateKey.toString('hex') } : pub;
    }
  }
}

/**
 * The JSON form. With `secrets: false` (API answers, CLI output) PSKs and private keys are
 * left out; `parseBootstrapConfig(configToJson(c, { secrets: true }))` gives `c` back.
 */
export function configToJson(c: BootstrapConfig, opts: { secrets: boolean }): Json {
  const out: Json = {
    endpoint: c.endpoint,
    servers: c.servers.map((s) => ({ ...s, security: securityJson(s.security, opts.secrets) })),
  };
  if (c.bootstrap) out.bootstrap = { ...c.bootstrap, security: securityJson(c.bootstrap.security, opts.secrets) };
  out.acls = c.acls.map((a) => ({ ...a, acl: { ...a.acl } }));
  out.delete = [...c.delete];
  if (c.contentFormat !== undefined) out.contentFormat = c.contentFormat;
  out.discover = c.discover;
  out.read = [...c.read];
  return out;
}

export function summarizeConfig(c: BootstrapConfig): BootstrapConfigSummary {
  const s: BootstrapConfigSummary = {
    endpoint: c.endpoint,
    servers: c.servers.map((a) => (a.security.mode === 'psk' ? { shortServerId: a.shortServerId, uri: a.uri, mode: 'psk', identity: a.security.identity } : { shortServerId: a.shortServerId, uri: a.uri, mode: a.security.mode })),
    acls: c.acls.length,
    delete: [...c.delete],
  };
  if (c.bootstrap) {
    s.bootstrapMode = c.bootstrap.security.mode;
    if (c.bootstrap.security.mode === 'psk') s.bootstrapIdentity = c.bootstrap.security.identity;
  }
  if (c.contentFormat !== undefined) s.contentFormat = c.contentFormat;
  return s;
}

/** A deep copy (buffers too), so callers never share key material with the store. */
export function copyConfig(c: BootstrapConfig): BootstrapConfig {
  return parseBootstrapConfig(configToJson(c, { secrets: true }), c.endpoint);
}
