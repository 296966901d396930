import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ManualClock } from '../../src/clock.js';
import { EventBus } from '../../src/events.js';
import { buildApi } from '../../src/http/api.js';
import { registerSecurityRoutes } from '../../src/http/routes/security-routes.js';
import { createLogger } from '../../src/log.js';
import { RegistrationService, type RegisterRequest } from '../../src/lwm2m/registration/registration-service.js';
import { securityRegistrationGuard } from '../../src/security/registration-guard.js';
import { loadServerKeys, SERVER_KEY_FILE } from '../../src/security/server-keys.js';
import { MemorySecurityStore } from '../../src/security/security-memory.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';
import type { PeerIdentity } from '../../src/transport/types.js';
import { p256PublicKey } from '../_suites/security-store.js';

const KEY_HEX = '5ec2e7000102030405060708090a0b0c';
const KEY = Buffer.from(KEY_HEX, 'hex');

/** A pino logger at trace level writing into a string. */
function captured() {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: createLogger({ level: 'trace', destination }), text: () => text };
}

/** Every way the key could be spelled in a log line. */
function spellings(key: Buffer): string[] {
  return [key.toString('hex'), key.toString('hex').toUpperCase(), key.toString('base64'), key.toString('base64url'), JSON.stringify([...key]).slice(1, -1), `"data":[${[...key].join(',')}`];
}

function req(endpoint: string, identity?: PeerIdentity): RegisterRequest {
  const r: RegisterRequest = {
    params: { endpoint, lifetime: 60, lwm2mVersion: '1.1', binding: 'U', queueMode: false },
    links: { rootPath: '/', supportedFormats: [], objectLinks: [] },
    address: { address: '127.0.0.1', port: 40000 },
    transport: identity ? 'coaps' : 'coap',
  };
  if (identity) r.identity = identity;
  return r;
}

test('adding credentials through the API and failed authorizations never log key material', async (t) => {
  const { logger, text } = captured();
  const store = new MemorySecurityStore();
  const registrations = new RegistrationService({ store: new MemoryRegistrationStore(), events: new EventBus(), clock: new ManualClock(0), logger });
  registrations.addGuard(securityRegistrationGuard(store, { logger }));
  const app = await buildApi({ registrations, token: 'tok', logger });
  registerSecurityRoutes(app, { store });
  const auth = { authorization: 'Bearer tok' };
  const rpk = p256PublicKey();

  const post = (payload: object) => app.inject({ method: 'POST', url: '/api/v1/security', headers: auth, payload });
  t.is((await post({ endpoint: 'dev-psk', psk: { identity: 'dev-id', key: KEY_HEX } })).statusCode, 201);
  t.is((await post({ endpoint: 'dev-rpk', rpk: { publicKey: rpk.raw.toString('hex') } })).statusCode, 201);
  // Refused additions: a conflict and a key that is too long (the key is in the body).
  t.is((await post({ endpoint: 'other', psk: { identity: 'dev-id', key: KEY_HEX } })).statusCode, 400);
  t.is((await post({ endpoint: 'other', psk: { identity: 'x', key: KEY_HEX.repeat(5) } })).statusCode, 400);
  t.is((await post({ endpoint: 'other', psk: { identity: 'x', key: `${KEY_HEX}0` } })).statusCode, 400);

  // Failed authorizations of every kind.
  await t.throwsAsync(registrations.register(req('dev-rpk', { kind: 'psk', identity: 'dev-id' })));
  await t.throwsAsync(registrations.register(req('dev-psk', { kind: 'rpk', publicKey: rpk.spki })));
  await t.throwsAsync(registrations.register(req('dev-psk')));
  await t.throwsAsync(registrations.register(req('dev-psk', { kind: 'x509', commonName: 'dev-psk', certificate: new Uint8Array([0x30, 0]) })));
  // A successful one, and a removal.
  await registrations.register(req('dev-psk', { kind: 'psk', identity: 'dev-id' }));
  t.is((await app.inject({ method: 'DELETE', url: '/api/v1/security/dev-psk', headers: auth })).statusCode, 200);

  // Even an object with the key passed to a log call by mistake is redacted (src/log.ts).
  logger.info({ credentials: { endpoint: 'dev-psk', mode: 'psk', identity: 'dev-id', key: KEY }, key: KEY_HEX }, 'careless log call');
  t.true(text().includes('"key":"[redacted]"'));

  const out = text();
  t.is(out.match(/"msg":"registration refused"/g)?.length, 4, 'the refusals were logged');
  t.regex(out, /"identity":"psk:dev-id"/);
  t.regex(out, /"identity":"rpk:sha256:[0-9a-f]{32}"/);
  t.regex(out, /"msg":"security credentials added"/);
  t.regex(out, /"msg":"security credentials removed"/);
  for (const s of spellings(KEY)) t.false(out.includes(s), `key spelled ${s} is absent`);
  t.false(out.includes(rpk.raw.toString('hex')), 'raw public keys are logged as fingerprints only');
  await app.close();
});

test('generating and loading the server key pair never logs the private key', async (t) => {
  const { logger, text } = captured();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lwm2m-keys-log-'));
  const keys = await loadServerKeys({ dataDir, logger });
  await loadServerKeys({ dataDir, logger });
  logger.info({ privateKey: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) }, 'careless log call');
  const pem = await readFile(path.join(dataDir, SERVER_KEY_FILE), 'utf8');
  const body = pem.split('\n').slice(1, -2).join('');
  const d = Buffer.from(keys.privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const out = text();
  t.regex(out, /generated the server key pair/);
  t.false(out.includes(body.slice(0, 40)), 'no PEM body');
  for (const s of spellings(d)) t.false(out.includes(s), 'no private scalar');
  await rm(dataDir, { recursive: true, force: true });
});
