import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../src/clock.js';
import { EventBus } from '../../src/events.js';
import { buildApi } from '../../src/http/api.js';
import { registerSecurityRoutes } from '../../src/http/routes/security-routes.js';
import { silentLogger } from '../../src/log.js';
import { RegistrationService } from '../../src/lwm2m/registration/registration-service.js';
import { MemorySecurityStore } from '../../src/security/security-memory.js';
import { MemoryRegistrationStore } from '../../src/store/registration-memory.js';
import { run } from '../helpers/server-process.js';

const ENTRY = fileURLToPath(new URL('./helpers/security-cli.js', import.meta.url));
const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const TOKEN = 'cli-test-token';

let app: FastifyInstance;
let url: string;
let dir: string;
const store = new MemorySecurityStore();
const removed: string[] = [];

test.before(async () => {
  const registrations = new RegistrationService({ store: new MemoryRegistrationStore(), events: new EventBus(), clock: new ManualClock(0) });
  app = await buildApi({ registrations, token: TOKEN, logger: silentLogger() });
  registerSecurityRoutes(app, { store, onRemove: (ep) => void removed.push(ep) });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-sec-cli-'));
});

test.after.always(async () => {
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const lwm2m = (args: string[]) => run(process.execPath, [ENTRY, 'security', ...args, '--url', url], { env: { LWM2M_TOKEN: TOKEN } });

// One device's life: the steps share the server's store, so they run in order.
test.serial('add --psk-identity/--psk-key provisions a device and prints no key', async (t) => {
  const r = await lwm2m(['add', 'cli-psk', '--psk-identity', 'cli-id', '--psk-key', KEY]);
  t.is(r.stderr, '');
  t.is(r.code, 0);
  t.is(r.stdout, 'added psk identity "cli-id" for cli-psk\n');
  t.deepEqual(store.pskKeyFor('cli-id'), Buffer.from(KEY, 'hex'));
});

test.serial('add --rpk reads a PEM key file (a private key file sends only its public half)', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const file = path.join(dir, 'device.pem');
  await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const r = await lwm2m(['add', 'cli-rpk', '--rpk', file]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^added rpk sha256:[0-9a-f]{32} for cli-rpk\n$/);
  t.is(store.endpointForPublicKey(publicKey.export({ type: 'spki', format: 'der' })), 'cli-rpk');
  // A raw point as hex text works too.
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const hexFile = path.join(dir, 'device.hex');
  await writeFile(hexFile, `${spki.subarray(spki.length - 65).toString('hex')}\n`);
  t.is((await lwm2m(['add', 'cli-rpk', '--rpk', hexFile])).code, 0);
});

test.serial('add --x509, then list as a table and as JSON, without keys', async (t) => {
  t.is((await lwm2m(['add', 'urn:dev:cli-x509', '--x509'])).code, 0);
  const table = await lwm2m(['list']);
  t.is(table.code, 0);
  const lines = table.stdout.trimEnd().split('\n');
  t.regex(lines[0]!, /^ENDPOINT\s+MODE\s+IDENTITY$/);
  t.regex(lines[1]!, /^cli-psk\s+psk\s+cli-id$/);
  t.regex(lines[2]!, /^cli-rpk\s+rpk\s+sha256:[0-9a-f]{32}$/);
  t.regex(lines[3]!, /^urn:dev:cli-x509\s+x509\s+CN=urn:dev:cli-x509$/);
  const json = await lwm2m(['list', '--json']);
  const list = JSON.parse(json.stdout) as { endpoint: string; mode: string }[];
  t.deepEqual(list.map((s) => `${s.endpoint}/${s.mode}`), ['cli-psk/psk', 'cli-rpk/rpk', 'urn:dev:cli-x509/x509']);
  t.false(table.stdout.includes(KEY) || json.stdout.includes(KEY));
});

test.serial('remove deletes the credentials and drops the sessions; removing again fails in one line', async (t) => {
  const r = await lwm2m(['remove', 'cli-psk']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'removed psk identity "cli-id" of cli-psk\n');
  t.deepEqual(removed, ['cli-psk']);
  t.is(store.pskKeyFor('cli-id'), undefined);
  const again = await lwm2m(['remove', 'cli-psk']);
  t.is(again.code, 1);
  t.is(again.stderr, 'lwm2m: no credentials for endpoint "cli-psk" (LWM2M_ERR_NOT_FOUND)\n');
});

test('bad arguments are one clear line on stderr, a non-zero exit, and never echo the key', async (t) => {
  const cases: [string[], RegExp][] = [
    [['add', 'e'], /^lwm2m: give exactly one of --psk-identity\/--psk-key, --rpk FILE or --x509\n$/],
    [['add', 'e', '--x509', '--psk-identity', 'i', '--psk-key', KEY], /^lwm2m: give exactly one of/],
    [['add', 'e', '--psk-identity', 'i'], /^lwm2m: PSK mode needs both --psk-identity and --psk-key\n$/],
    [['add', 'e', '--psk-identity', 'i', '--psk-key', `${KEY}0`], /^lwm2m: --psk-key: PSK key must be hex: an even number of 0-9a-f digits\n$/],
    [['add', 'e', '--psk-identity', 'i', '--psk-key', `${KEY}zz`], /^lwm2m: --psk-key: PSK key must be hex/],
    [['add', 'e', '--psk-identity', 'i', '--psk-key', KEY.repeat(5)], /^lwm2m: --psk-key: PSK key must be 1 to 64 bytes/],
    [['add', 'e', '--psk-identity', 'x'.repeat(129), '--psk-key', KEY], /^lwm2m: --psk-identity: PSK identity must be at most 128 bytes/],
    [['add', 'e', '--rpk', path.join(tmpdir(), 'no-such-file.pem')], /^lwm2m: --rpk: cannot read .*ENOENT/],
  ];
  for (const [args, message] of cases) {
    const r = await lwm2m(args);
    t.is(r.code, 1, args.join(' '));
    t.regex(r.stderr, message);
    t.is(r.stderr.split('\n').length, 2, 'one line');
    t.false(r.stderr.includes(KEY), 'key not echoed');
  }
});
