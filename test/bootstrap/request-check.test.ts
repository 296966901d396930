import test from 'ava';
import { parseBootstrapConfig } from '../../src/lwm2m/bootstrap/config-json.js';
import { checkBootstrapIdentity, endpointOfIdentity, parseBootstrapQuery } from '../../src/lwm2m/bootstrap/request-check.js';
import { MemoryBootstrapConfigStore } from '../../src/store/bootstrap-config-memory.js';

const POINT = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 9)]);
const CERT = Buffer.from('3082010a0282010100', 'hex');

async function store() {
  const s = new MemoryBootstrapConfigStore();
  const server = [{ uri: 'coap://127.0.0.1:5683' }];
  await s.add(parseBootstrapConfig({ endpoint: 'psk-ep', servers: server, bootstrap: { security: { mode: 'psk', identity: 'psk-id', key: '0011' } } }));
  await s.add(parseBootstrapConfig({ endpoint: 'rpk-ep', servers: server, bootstrap: { security: { mode: 'rpk', publicKey: POINT.toString('hex') } } }));
  await s.add(parseBootstrapConfig({ endpoint: 'x509-ep', servers: server, bootstrap: { security: { mode: 'x509', certificate: CERT.toString('hex') } } }));
  await s.add(parseBootstrapConfig({ endpoint: 'open-ep', servers: server }));
  return s;
}

const forbidden = { code: 'LWM2M_ERR_FORBIDDEN' };

test('PSK and RPK sessions must be the bootstrap credentials of the endpoint they name', async (t) => {
  const s = await store();
  const check = async (ep: string, identity: Parameters<typeof checkBootstrapIdentity>[4]) => checkBootstrapIdentity(s, ep, await s.get(ep), 'coaps', identity);
  await t.notThrowsAsync(check('psk-ep', { kind: 'psk', identity: 'psk-id' }));
  await t.throwsAsync(check('rpk-ep', { kind: 'psk', identity: 'psk-id' }), forbidden);
  await t.notThrowsAsync(check('rpk-ep', { kind: 'rpk', publicKey: POINT }));
  await t.throwsAsync(check('psk-ep', { kind: 'rpk', publicKey: POINT }), forbidden);
  await t.throwsAsync(check('open-ep', { kind: 'psk', identity: 'psk-id' }), forbidden);
  t.is(endpointOfIdentity(s, { kind: 'rpk', publicKey: POINT }), 'rpk-ep');
});

test('X.509: the configured certificate, else a CN naming the endpoint; never for a PSK endpoint', async (t) => {
  const s = await store();
  const check = async (ep: string, cn: string, cert: Buffer) => checkBootstrapIdentity(s, ep, await s.get(ep), 'coaps', { kind: 'x509', commonName: cn, certificate: cert });
  await t.notThrowsAsync(check('x509-ep', 'anything', CERT));
  await t.throwsAsync(check('x509-ep', 'x509-ep', Buffer.from('other')), forbidden);
  await t.notThrowsAsync(check('open-ep', 'open-ep', Buffer.from('ca-issued')));
  await t.throwsAsync(check('open-ep', 'someone-else', Buffer.from('ca-issued')), forbidden);
  await t.throwsAsync(check('psk-ep', 'psk-ep', Buffer.from('ca-issued')), forbidden);
});

test('plain CoAP: refused for endpoints with bootstrap credentials, allowed for NoSec ones', async (t) => {
  const s = await store();
  const own = await s.get('psk-ep');
  t.throws(() => checkBootstrapIdentity(s, 'psk-ep', own, 'coap', undefined), { code: 'LWM2M_ERR_FORBIDDEN' });
  t.notThrows(() => checkBootstrapIdentity(s, 'open-ep', undefined, 'coap', undefined));
  t.throws(() => checkBootstrapIdentity(s, 'open-ep', undefined, 'coaps', undefined), { code: 'LWM2M_ERR_FORBIDDEN' });
});

test('the Bootstrap-Request query: ep and pct, unknown parameters ignored, repeats and bad values refused', (t) => {
  t.deepEqual(parseBootstrapQuery(['ep=wk-bs-ep', 'pct=110']), { endpoint: 'wk-bs-ep', pct: 110 });
  t.deepEqual(parseBootstrapQuery(['ep=x', 'lwm2m=1.1']), { endpoint: 'x' });
  for (const bad of [['ep='], ['ep=a', 'ep=b'], ['pct=70000'], ['pct=1x'], ['ep=a\u0001b']]) {
    t.throws(() => parseBootstrapQuery(bad), { code: 'LWM2M_ERR_BAD_REQUEST' }, bad.join('&'));
  }
});
