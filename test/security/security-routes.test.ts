import test from 'ava';
import { ManualClock } from '../../src/clock.js';
import { EventBus } from '../../src/events.js';
import { buildApi } from '../../src/http/api.js';
import { registerSecurityRoutes } from '../../src/http/routes/security-routes.js';
import { silentLogger } from '../../src/log.js';
import { RegistrationService } from '../../src/lwm2m/registration/registration-service.js';
import { MemorySecurityStore } from '../../src/security/security-memory.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';
import { p256PublicKey } from '../_suites/security-store.js';

const KEY = '000102030405060708090a0b0c0d0e0f';
const auth = { authorization: 'Bearer secret-token' };

async function setup() {
  const registrations = new RegistrationService({ store: new MemoryRegistrationStore(), events: new EventBus(), clock: new ManualClock(0) });
  const app = await buildApi({ registrations, token: 'secret-token', logger: silentLogger() });
  const store = new MemorySecurityStore();
  const removed: string[] = [];
  registerSecurityRoutes(app, { store, onRemove: (ep, info) => void removed.push(`${ep}/${info.mode}`) });
  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/security', headers: auth, payload: payload as object });
  return { app, store, removed, post };
}

test('POST adds PSK credentials (201) and replacing them answers 200 with what was replaced', async (t) => {
  const { store, post } = await setup();
  const res = await post({ endpoint: 'dev-1', psk: { identity: 'id-1', key: KEY } });
  t.is(res.statusCode, 201);
  t.deepEqual(res.json(), { added: { endpoint: 'dev-1', mode: 'psk', identity: 'id-1' } });
  t.deepEqual(store.pskKeyFor('id-1'), Buffer.from(KEY, 'hex'));
  const again = await post({ endpoint: 'dev-1', x509: {} });
  t.is(again.statusCode, 200);
  t.deepEqual(again.json(), { added: { endpoint: 'dev-1', mode: 'x509' }, replaced: { endpoint: 'dev-1', mode: 'psk', identity: 'id-1' } });
  t.is(store.pskKeyFor('id-1'), undefined);
  t.false(res.body.includes(KEY) || again.body.includes(KEY));
});

test('POST takes an RPK public key as PEM or as hex of a raw point or SPKI', async (t) => {
  const { store, post } = await setup();
  const a = p256PublicKey();
  const b = p256PublicKey();
  const pem = `-----BEGIN PUBLIC KEY-----\n${a.spki.toString('base64')}\n-----END PUBLIC KEY-----\n`;
  t.is((await post({ endpoint: 'a', rpk: { publicKey: pem } })).statusCode, 201);
  const res = await post({ endpoint: 'b', rpk: { publicKey: b.raw.toString('hex') } });
  t.is(res.statusCode, 201);
  t.regex(res.json<{ added: { keyFingerprint: string } }>().added.keyFingerprint, /^sha256:/);
  t.is(store.endpointForPublicKey(a.spki), 'a');
  t.is(store.endpointForPublicKey(b.spki), 'b');
});

test('GET lists credentials and shows one, never with keys; unknown is 404', async (t) => {
  const { app, post } = await setup();
  await post({ endpoint: 'b', psk: { identity: 'id-b', key: KEY } });
  await post({ endpoint: 'a', x509: {} });
  const list = await app.inject({ method: 'GET', url: '/api/v1/security', headers: auth });
  t.deepEqual(list.json(), { security: [{ endpoint: 'a', mode: 'x509' }, { endpoint: 'b', mode: 'psk', identity: 'id-b' }] });
  const one = await app.inject({ method: 'GET', url: '/api/v1/security/b', headers: auth });
  t.deepEqual(one.json(), { endpoint: 'b', mode: 'psk', identity: 'id-b' });
  t.false(list.body.includes(KEY) || one.body.includes(KEY));
  const none = await app.inject({ method: 'GET', url: '/api/v1/security/zz', headers: auth });
  t.is(none.statusCode, 404);
  t.is(none.json<{ error: { code: string } }>().error.code, 'LWM2M_ERR_NOT_FOUND');
});

test('DELETE removes the credentials and calls onRemove so the sessions are dropped', async (t) => {
  const { app, store, removed, post } = await setup();
  await post({ endpoint: 'urn:dev:1', psk: { identity: 'id-1', key: KEY } });
  const res = await app.inject({ method: 'DELETE', url: `/api/v1/security/${encodeURIComponent('urn:dev:1')}`, headers: auth });
  t.is(res.statusCode, 200);
  t.deepEqual(res.json(), { removed: { endpoint: 'urn:dev:1', mode: 'psk', identity: 'id-1' } });
  t.deepEqual(removed, ['urn:dev:1/psk']);
  t.is(store.pskKeyFor('id-1'), undefined);
  const again = await app.inject({ method: 'DELETE', url: '/api/v1/security/urn%3Adev%3A1', headers: auth });
  t.is(again.statusCode, 404);
  t.deepEqual(removed, ['urn:dev:1/psk'], 'onRemove only for real removals');
});

test('replacing credentials by different ones revokes the old ones; the same ones again do not', async (t) => {
  const { removed, post } = await setup();
  await post({ endpoint: 'dev', psk: { identity: 'id', key: KEY } });
  t.is((await post({ endpoint: 'dev', psk: { identity: 'id', key: KEY } })).statusCode, 200);
  t.deepEqual(removed, []);
  await post({ endpoint: 'dev', psk: { identity: 'id', key: 'ff' } });
  t.deepEqual(removed, ['dev/psk'], 'a new key ends sessions made with the old one');
  await post({ endpoint: 'dev', x509: {} });
  t.deepEqual(removed, ['dev/psk', 'dev/psk']);
});

test('bad bodies are 400 LWM2M_ERR_BAD_API_REQUEST naming the field, never echoing a key', async (t) => {
  const { post, store } = await setup();
  await post({ endpoint: 'owner', psk: { identity: 'taken', key: KEY } });
  const cases: [unknown, RegExp][] = [
    [[], /JSON object/],
    [{ endpoint: 'e' }, /exactly one of/],
    [{ endpoint: 'e', psk: { identity: 'i', key: KEY }, x509: {} }, /exactly one of/],
    [{ endpoint: 'e', psk: 'x' }, /"psk" must be an object/],
    [{ endpoint: 'e', psk: { identity: 'i', key: 'abc' } }, /PSK key must be hex/],
    [{ endpoint: 'e', psk: { identity: 'i', key: 'zz' + KEY } }, /PSK key must be hex/],
    [{ endpoint: 'e', psk: { identity: 'i', key: 'ab'.repeat(65) } }, /1 to 64 bytes/],
    [{ endpoint: 'e', psk: { identity: 'i', key: '' } }, /PSK key must be hex/],
    [{ endpoint: 'e', psk: { identity: '', key: KEY } }, /PSK identity/],
    [{ endpoint: 'e', psk: { identity: 'i', key: KEY, extra: 1 } }, /unknown field "psk.extra"/],
    [{ endpoint: '', x509: {} }, /endpoint must be a non-empty string/],
    [{ endpoint: 7, x509: {} }, /endpoint must be a non-empty string/],
    [{ endpoint: 'e', x509: {}, bogus: true }, /unknown field "bogus"/],
    [{ endpoint: 'e', rpk: { publicKey: 42 } }, /PEM or hex/],
    [{ endpoint: 'e', rpk: { publicKey: 'cafe' } }, /P-256|public key/],
    [{ endpoint: 'e', psk: { identity: 'taken', key: KEY } }, /already belongs to endpoint "owner"/],
  ];
  for (const [payload, message] of cases) {
    const res = await post(payload);
    t.is(res.statusCode, 400, JSON.stringify(payload));
    const body = res.json<{ error: { code: string; message: string } }>();
    t.is(body.error.code, 'LWM2M_ERR_BAD_API_REQUEST');
    t.regex(body.error.message, message);
    t.false(res.body.includes(KEY));
  }
  t.is(store.size, 1);
});

test('the security routes need the bearer token', async (t) => {
  const { app } = await setup();
  for (const [method, url] of [['GET', '/api/v1/security'], ['POST', '/api/v1/security'], ['DELETE', '/api/v1/security/x']] as const) {
    const res = await app.inject({ method, url });
    t.is(res.statusCode, 401);
  }
});
