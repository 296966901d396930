import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoapEndpoint } from '../../src/coap/endpoint.js';
import { silentLogger } from '../../src/log.js';
import { startServer } from '../../src/server.js';
import { BootstrapClient } from '../../src/sim/bootstrap-client.js';
import { DtlsClientTransport } from '../bootstrap/helpers/dtls-client-transport.js';
import { builtinModels, peerOfUri } from '../bootstrap/helpers/harness.js';
import { cli } from '../helpers/server-process.js';

const BS_KEY = Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex');
const DEV_KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

/**
 * The bootstrap issue end to end on `startServer` as `lwm2m serve` builds it: an operator
 * provisions a device in one step with the CLI; the device, knowing only its bootstrap
 * account, bootstraps over the bootstrap server's DTLS listener, then registers over the LwM2M
 * server's DTLS listener with the credentials it was given, and the server reads from it.
 */
test('provision with the CLI, bootstrap over DTLS, then register over DTLS with the delivered PSK', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-bs-e2e-'));
  const server = await startServer({ dataDir: dir, storage: 'memory', coap: { port: 0 }, http: { port: 0 }, logLevel: 'silent' }, { logger: silentLogger() });
  t.teardown(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const coaps = server.coapsAddress()!;
  const lwUri = `coaps://127.0.0.1:${coaps.port}`;
  const env = { LWM2M_URL: server.httpUrl()!, LWM2M_TOKEN: server.adminToken() };
  const add = await cli(
    ['bootstrap', 'add', 'factory-dev', '--server', lwUri, '--psk-identity', 'factory-dev-id', '--psk-key', DEV_KEY.toString('hex'), '--lifetime', '300', '--bs-psk-identity', 'factory-dev-bs', '--bs-psk-key', BS_KEY.toString('hex')],
    env,
  );
  t.is(add.code, 0, add.stderr);
  t.false(add.stdout.includes(DEV_KEY.toString('hex')), 'keys are not echoed');
  const sec = await cli(['security', 'list', '--json'], env);
  t.deepEqual((JSON.parse(sec.stdout) as { endpoint: string; mode: string }[]).map((s) => [s.endpoint, s.mode]), [['factory-dev', 'psk']]);

  const bsAddr = server.bootstrapSecureAddress()!;
  const bsTransport = await DtlsClientTransport.connect(bsAddr, 'factory-dev-bs', BS_KEY);
  const bsCoap = new CoapEndpoint({ transport: bsTransport });
  t.teardown(() => bsCoap.close());
  const client = new BootstrapClient({
    endpoint: 'factory-dev',
    coap: bsCoap,
    bootstrapServer: bsAddr,
    models: await builtinModels(),
    lwm2mVersion: '1.1',
    preferredFormat: 110,
    bootstrapAccount: { instanceId: 0, uri: `coaps://127.0.0.1:${bsAddr.port}`, securityMode: 0, identity: Buffer.from('factory-dev-bs'), secretKey: BS_KEY },
  });
  await client.bootstrap();
  const account = client.accounts().find((a) => !a.bootstrap)!;
  t.is(account.uri, lwUri);
  t.is(account.publicKeyOrIdentity.toString('utf8'), 'factory-dev-id');
  t.deepEqual(account.secretKey, DEV_KEY);
  t.deepEqual(
    client.received.filter((r) => r.method === 'PUT').map((w) => `${w.path} ${w.contentFormat} ${w.code}`),
    ['/0/1 110 2.04', '/1/0 110 2.04'],
    'one Security and one Server instance written in the SenML JSON the device asked for',
  );

  const lwTransport = await DtlsClientTransport.connect(peerOfUri(account.uri), 'factory-dev-id', account.secretKey);
  const lwCoap = new CoapEndpoint({ transport: lwTransport });
  t.teardown(() => lwCoap.close());
  await client.register(account, lwCoap, peerOfUri(account.uri));
  const dev = await cli(['device', 'factory-dev', '--json'], env);
  t.is(dev.code, 0, dev.stderr);
  const json = JSON.parse(dev.stdout) as { transport: string; lifetime: number };
  t.is(json.transport, 'coaps');
  t.is(json.lifetime, 300);
});

