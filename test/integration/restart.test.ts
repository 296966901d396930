import test from 'ava';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DeviceJson } from '../../src/http/device-json.js';
import { cli, run, spawnServer } from '../helpers/server-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Issue "Foundation", done-when #2: a registration made before `kill -9` is listed after a
 * restart, and one whose lifetime passed while the server was down is gone.
 */
test('registrations survive kill -9; those that expired while down are purged at start', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-restart-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let server = await spawnServer(dir);
  // Whichever server runs when the test ends is stopped, also when an assertion fails early.
  t.teardown(() => server.stop());
  const base = `coap://127.0.0.1:${server.coapPort}`;
  for (const [ep, lt] of [['long-lived', 3600], ['short-lived', 1]] as const) {
    const r = await run('coap-client-notls', ['-m', 'post', '-t', '40', '-e', '</3/0>', '-B', '5', `${base}/rd?ep=${ep}&lt=${lt}`]);
    t.is(r.code, 0, r.stderr);
  }
  let res = await cli(['devices', '--json'], { LWM2M_URL: server.httpUrl, LWM2M_DATA: dir });
  t.deepEqual((JSON.parse(res.stdout) as DeviceJson[]).map((d) => d.endpoint), ['long-lived', 'short-lived']);
  const before = (JSON.parse(res.stdout) as DeviceJson[])[0]!;

  await server.kill9();
  // lifetime 1 s + the default 2 s grace period pass while the server is down.
  await sleep(3500);

  server = await spawnServer(dir);
  res = await cli(['devices', '--json'], { LWM2M_URL: server.httpUrl, LWM2M_DATA: dir });
  t.is(res.code, 0, res.stderr);
  const after = JSON.parse(res.stdout) as DeviceJson[];
  t.deepEqual(after.map((d) => d.endpoint), ['long-lived']);
  t.deepEqual(after[0], before, 'the surviving registration is unchanged');
  t.true(server.logs.some((l) => l.includes('"registration expired"') && l.includes('short-lived')), server.logs.join('\n'));
});

test('a first start makes the data folder 0700 itself, so it does not warn about it', async (t) => {
  const parent = await mkdtemp(path.join(tmpdir(), 'lwm2m-fresh-'));
  t.teardown(() => rm(parent, { recursive: true, force: true }));
  const dataDir = path.join(parent, 'data');
  const s = await spawnServer(dataDir);
  await s.stop();
  t.is((await stat(dataDir)).mode & 0o777, 0o700);
  t.is((await stat(path.join(dataDir, 'db'))).mode & 0o777, 0o700);
  t.false(s.logs.some((l) => l.includes('chmod 700')), s.logs.filter((l) => l.includes('"level":40')).join('\n'));
});

test('a second server on a taken port or on the same data folder stops with one clear line', async (t) => {
  const parent = await mkdtemp(path.join(tmpdir(), 'lwm2m-taken-'));
  t.teardown(() => rm(parent, { recursive: true, force: true }));
  const first = await spawnServer(path.join(parent, 'a'), ['--no-dtls', '--no-bootstrap']);
  t.teardown(() => first.stop());
  const httpPort = new URL(first.httpUrl).port;
  const serve = (data: string, ...ports: string[]) =>
    cli(['serve', '--data', path.join(parent, data), '--no-dtls', '--no-bootstrap', '--log-level', 'silent', '--coap-port', '0', '--http-port', '0', ...ports]);
  const cases: [Promise<{ code: number | null; stderr: string }>, RegExp][] = [
    [serve('b', '--coap-port', String(first.coapPort)), new RegExp(`^lwm2m: CoAP: 127\\.0\\.0\\.1:${first.coapPort} is in use \\(another server running\\?\\)\\n$`)],
    [serve('c', '--http-port', httpPort), new RegExp(`^lwm2m: management API: 127\\.0\\.0\\.1:${httpPort} is in use \\(another server running\\?\\)\\n$`)],
    [serve('a'), /^lwm2m: cannot open LevelDB at .*\/a\/db: another process \(a server on the same data folder\?\) holds it\n$/],
  ];
  for (const [running, message] of cases) {
    const r = await running;
    t.is(r.code, 1);
    t.regex(r.stderr, message);
  }
  // The first server is unharmed.
  const health = await fetch(`${first.httpUrl}/api/v1/health`);
  t.is(health.status, 200);
});
