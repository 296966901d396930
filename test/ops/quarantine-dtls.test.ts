import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/log.js';
import { startServer } from '../../src/server.js';
import { psk } from '../_suites/security-store.js';
import { DtlsDevice } from './helpers/dtls-device.js';
import { register, sendTemperature } from './helpers/udp-device.js';

const KEYS: Record<string, string> = { 'id-q': 'secret-q', 'id-ok': 'secret-ok' };
const admin = { kind: 'token', name: 'admin' } as const;

/** The server as src/server.ts builds it (DTLS listener, security store, operations layer). */
async function setup(t: { teardown(fn: () => Promise<void> | void): void }) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lwm2m-qd-'));
  const server = await startServer({ dataDir, storage: 'memory', coap: { port: 0 }, http: { enabled: false }, logLevel: 'silent', protection: { enabled: false } }, { logger: silentLogger() });
  for (const [ep, id] of [['dtls-q', 'id-q'], ['dtls-ok', 'id-ok']] as const) await server.stores.security.add(psk(ep, id, Buffer.from(KEYS[id]!).toString('hex')));
  const transport = server.dtls!;
  const devices: DtlsDevice[] = [];
  const device = async (identity: string) => {
    const d = await DtlsDevice.connect(transport.address().port, identity, KEYS[identity]!);
    devices.push(d);
    return d;
  };
  t.teardown(async () => {
    for (const d of devices) await d.close();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { transport, ops: server.ops, store: server.stores.registrations, device };
}

test('over DTLS: quarantine closes the sessions and refuses the identity under any name, until release', async (t) => {
  const { transport, ops, store, device } = await setup(t);
  const dev = await device('id-q');
  t.is((await dev.request(register('dtls-q'))).code, '2.01');
  t.deepEqual((await store.getByEndpoint('dtls-q'))?.identity, { kind: 'psk', identity: 'id-q' });
  const ok = await device('id-ok');
  t.is((await ok.request(register('dtls-ok'))).code, '2.01');
  t.is(transport.sessions().length, 2);

  const rec = await ops.quarantine.quarantine('dtls-q', { reason: 'stolen key', by: admin });
  t.deepEqual(rec.identities, ['psk:id-q']);
  t.is(await store.getByEndpoint('dtls-q'), undefined);
  t.deepEqual(
    transport.sessions().map((s) => s.identity),
    [{ kind: 'psk', identity: 'id-ok' }],
    'only the quarantined identity lost its session',
  );

  // A new handshake from a new port with the same PSK identity: refused by name and by identity.
  const back = await device('id-q');
  t.is((await back.request(register('dtls-q'))).code, '4.03', 'same name');
  t.is((await back.request(register('innocent-name'))).code, '4.03', 'other name, same DTLS identity');
  t.is((await back.request(sendTemperature(1))).code, '4.03', 'Send');
  t.is((await back.request({ method: 'POST', path: ['bs'], query: ['ep=innocent-name'] })).code, '4.03', 'Bootstrap-Request');
  t.is((await ok.request({ method: 'POST', path: ['rd', (await store.getByEndpoint('dtls-ok'))!.id], query: ['lt=300'] })).code, '2.04', 'others are unaffected');

  await ops.quarantine.release('dtls-q', admin);
  t.is((await back.request(register('dtls-q'))).code, '2.01', 'accepted again after release');
  await ops.metrics.refresh();
  t.is(ops.metrics.dtlsHandshakes.get({ result: 'ok' }), 3);
});
