import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventBus } from '../../src/events.js';
import { buildApi } from '../../src/http/api.js';
import { registerBootstrapRoutes } from '../../src/http/routes/bootstrap-routes.js';
import { silentLogger } from '../../src/log.js';
import { BootstrapProvisioner } from '../../src/lwm2m/bootstrap/provisioning.js';
import { RegistrationService } from '../../src/lwm2m/registration/registration-service.js';
import { MemorySecurityStore } from '../../src/security/security-memory.js';
import { MemoryBootstrapConfigStore } from '../../src/store/bootstrap-config-memory.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cli-entry.js');
const KEY = '5ec12e75ec12e75ec12e75ec12e75ec1';

async function api() {
  const registrations = new RegistrationService({ store: new MemoryRegistrationStore(), events: new EventBus() });
  const app = await buildApi({ registrations, token: 'cli-token', logger: silentLogger() });
  const configs = new MemoryBootstrapConfigStore();
  const security = new MemorySecurityStore();
  registerBootstrapRoutes(app, { provisioner: new BootstrapProvisioner({ configs, security }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  return { app, configs, security, url: `http://127.0.0.1:${addr.port}` };
}

function lwm2m(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [entry, ...args], { timeout: 60_000, env: { ...process.env, LWM2M_URL: url, LWM2M_TOKEN: 'cli-token' } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('lwm2m bootstrap add/list/show/remove: one-step provisioning through the API, keys never printed', async (t) => {
  const s = await api();
  t.teardown(() => s.app.close());
  const add = await lwm2m(s.url, ['bootstrap', 'add', 'dev-1', '--server', 'coaps://127.0.0.1:5684', '--psk-identity', 'dev-1-id', '--psk-key', KEY, '--lifetime', '300']);
  t.is(add.code, 0, add.stderr);
  t.is(add.stdout, 'added bootstrap configuration for dev-1: coaps://127.0.0.1:5684 (ssid 1, psk "dev-1-id")\nadded psk credentials "dev-1-id" to the security store\n');
  t.is((await s.configs.get('dev-1'))?.servers[0]?.lifetime, 300);
  t.is(s.security.pskKeyFor('dev-1-id')?.toString('hex'), KEY);

  const list = await lwm2m(s.url, ['bootstrap', 'list']);
  t.is(list.code, 0, list.stderr);
  t.regex(list.stdout, /^ENDPOINT\s+SERVERS\s+BOOTSTRAP\s+ACLS\s+DELETE\n/);
  t.regex(list.stdout, /dev-1\s+coaps:\/\/127\.0\.0\.1:5684 \(ssid 1, psk "dev-1-id"\)\s+-\s+0\s+\/0 \/1/);
  const show = await lwm2m(s.url, ['bootstrap', 'show', 'dev-1', '--json']);
  t.is(JSON.parse(show.stdout).servers[0].security.identity, 'dev-1-id');
  for (const out of [add.stdout, list.stdout, show.stdout]) t.false(out.includes(KEY));

  const remove = await lwm2m(s.url, ['bootstrap', 'remove', 'dev-1', '--security']);
  t.is(remove.code, 0, remove.stderr);
  t.is(remove.stdout, 'removed bootstrap configuration of dev-1 and its psk credentials\n');
  t.is(s.security.size, 0);
  const again = await lwm2m(s.url, ['bootstrap', 'remove', 'dev-1']);
  t.is(again.code, 1);
  t.regex(again.stderr, /^lwm2m: no bootstrap configuration for endpoint "dev-1" \(LWM2M_ERR_NOT_FOUND\)\n$/);
});

test('lwm2m bootstrap add --from-file takes one configuration or a list', async (t) => {
  const s = await api();
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-bscli-'));
  t.teardown(async () => {
    await s.app.close();
    await rm(dir, { recursive: true, force: true });
  });
  const file = path.join(dir, 'configs.json');
  await writeFile(file, JSON.stringify({ configs: [
    { endpoint: 'a', servers: [{ uri: 'coap://127.0.0.1:5683' }], acls: [{ objectId: 3, objectInstanceId: 0, acl: { 1: 15 }, owner: 1 }] },
    { endpoint: '*', servers: [{ uri: 'coap://127.0.0.1:5683', lifetime: 60 }] },
  ] }));
  const res = await lwm2m(s.url, ['bootstrap', 'add', '--from-file', file, '--json']);
  t.is(res.code, 0, res.stderr);
  t.deepEqual((JSON.parse(res.stdout) as { config: { endpoint: string } }[]).map((r) => r.config.endpoint), ['a', '*']);
  t.is((await s.configs.resolve('someone'))?.servers[0]?.lifetime, 60);
  t.is((await s.configs.get('a'))?.acls[0]?.acl['1'], 15);
});

test('lwm2m bootstrap add refuses incomplete or invalid flags before calling the API, without echoing the key', async (t) => {
  const s = await api();
  t.teardown(() => s.app.close());
  const half = await lwm2m(s.url, ['bootstrap', 'add', 'dev-x', '--server', 'coaps://h:5684', '--psk-identity', 'x']);
  t.is(half.code, 1);
  t.is(half.stderr, 'lwm2m: PSK mode needs both --psk-identity and --psk-key\n');
  const badKey = await lwm2m(s.url, ['bootstrap', 'add', 'dev-x', '--server', 'coaps://h:5684', '--psk-identity', 'x', '--psk-key', 'not-hex-secret']);
  t.is(badKey.code, 1);
  t.regex(badKey.stderr, /servers\[0\]\.security\.key must be hex/);
  t.false(badKey.stderr.includes('not-hex-secret'));
  const noServer = await lwm2m(s.url, ['bootstrap', 'add', 'dev-x']);
  t.regex(noServer.stderr, /give --server URI/);
  t.is(s.configs.size, 0);
});
