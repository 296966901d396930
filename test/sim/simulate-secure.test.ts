import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dtlsSourceAddress } from '../../src/sim/device-preparation.js';
import { localAddressFor } from '../../src/sim/server-uri.js';
import { CLI, cli, run, spawnServer, type CommandResult, type RunningServer } from '../helpers/server-process.js';

/**
 * `lwm2m simulate --psk-from` (DTLS 1.2 PSK to a coaps:// server) and `--bootstrap` (bootstrap
 * first, then register where told) end to end: the real CLI in its own process against a real
 * server in another, everything on 127.0.0.1 with ephemeral ports. What the devices did is
 * checked from the server's side, through its management API. Serial: each test runs one or two
 * servers and a fleet, and on a 2-core machine they would mostly wait for each other.
 */

interface Summary {
  requested: number;
  registered: number;
  failures: number;
  firstFailure?: string;
  deregistered: number;
}

interface Device {
  endpoint: string;
  address: string;
  transport: 'coap' | 'coaps';
  lifetime: number;
}

interface Session {
  endpoint: string;
  state: string;
  transport: string;
}

interface Server extends RunningServer {
  data: string;
  coapsPort: number;
  bsPort: number;
  api<T>(method: string, route: string, body?: unknown): Promise<T>;
  /** CLI management command against this server. */
  cli(args: string[]): Promise<CommandResult>;
}

/** The port of `host:port` (or `[v6]:port`) from the server's start-up line. */
const portOf = (addr: unknown): number => (typeof addr === 'string' ? Number(addr.slice(addr.lastIndexOf(':') + 1)) : 0);

async function startServer(t: ExecutionContext, extra: string[]): Promise<Server> {
  const data = await mkdtemp(path.join(tmpdir(), 'lwm2m-simsec-'));
  const server = await spawnServer(data, extra);
  t.teardown(async () => {
    await server.stop();
    await rm(data, { recursive: true, force: true });
  });
  // spawnServer exposes the CoAP port only; the coaps and bootstrap ports are in the same line.
  const line = server.logs.find((l) => l.includes('"msg":"LwM2M server started"'))!;
  const started = JSON.parse(line) as Record<string, unknown>;
  const token = (await readFile(path.join(data, 'admin.token'), 'utf8')).trim();
  const env = { LWM2M_URL: server.httpUrl, LWM2M_DATA: data, LWM2M_TOKEN: token };
  return Object.assign(server, {
    data,
    coapsPort: portOf(started['coaps']),
    bsPort: portOf(started['bootstrap']),
    api: async <T>(method: string, route: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${server.httpUrl}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${route}: HTTP ${res.status} ${text}`);
      return JSON.parse(text) as T;
    },
    cli: (args: string[]) => cli(args, env),
  });
}

const devices = async (s: Server, prefix: string): Promise<Device[]> => (await s.api<{ devices: Device[] }>('GET', `/api/v1/devices?ep=${prefix}*&limit=1000`)).devices;

/** Polls `probe` every 100 ms until it returns true; at most `ms`. */
async function waitUntil(probe: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return probe();
}

/** `lwm2m simulate ...` through the real CLI entry of this build. */
const simulate = (args: string[]): Promise<CommandResult> => run(process.execPath, [CLI, 'simulate', ...args], { timeoutMs: 25_000 });

/**
 * Runs a fleet that stays up for 2 s and meanwhile waits until the server lists `expectUp` of
 * its devices; returns those devices and the summary the command printed at exit.
 */
async function runFleet(t: ExecutionContext, s: Server, prefix: string, expectUp: number, args: string[]): Promise<{ seen: Device[]; summary: Summary }> {
  let exited = false;
  const done = simulate(['--prefix', prefix, '--json', '--duration', '2', ...args]).finally(() => (exited = true));
  let seen: Device[] = [];
  await waitUntil(async () => {
    seen = await devices(s, prefix);
    return seen.length >= expectUp || exited;
  }, 20_000);
  const res = await done;
  t.is(res.code, 0, res.stderr);
  return { seen, summary: JSON.parse(res.stdout) as Summary };
}

const hex = (n = 16): string => randomBytes(n).toString('hex');
const keysFor = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ endpoint: `${prefix}${i}`, identity: `${prefix}${i}-id`, key: hex() }));

test.serial('--psk-from CSV: 300 devices register over coaps with their PSKs, from more than one source address, and de-register at the end', async (t) => {
  const s = await startServer(t, ['--no-bootstrap']);
  // More than the server's 256 DTLS sessions per source address: the simulator spreads its devices.
  const n = 300;
  const creds = keysFor('pskcsv-', n);
  // One device through `lwm2m security add`, the rest through the API.
  const added = await s.cli(['security', 'add', creds[0]!.endpoint, '--psk-identity', creds[0]!.identity, '--psk-key', creds[0]!.key]);
  t.is(added.code, 0, added.stderr);
  for (let i = 1; i < n; i += 50) {
    await Promise.all(creds.slice(i, i + 50).map((c) => s.api('POST', '/api/v1/security', { endpoint: c.endpoint, psk: { identity: c.identity, key: c.key } })));
  }
  const file = path.join(s.data, 'creds.csv');
  await writeFile(file, ['# endpoint,identity,hexkey', ...creds.map((c) => `${c.endpoint},${c.identity},${c.key}`), ''].join('\n'));

  const { seen, summary } = await runFleet(t, s, 'pskcsv-', n, ['--server', `coaps://127.0.0.1:${s.coapsPort}`, '--psk-from', file, '--count', String(n)]);
  t.like(summary, { requested: n, registered: n, failures: 0, deregistered: n });
  t.is(seen.length, n);
  t.deepEqual(new Set(seen.map((d) => d.transport)), new Set(['coaps']));
  t.deepEqual(seen.map((d) => d.endpoint).sort(), creds.map((c) => c.endpoint).sort());
  const sources = new Set(seen.map((d) => d.address.slice(0, d.address.lastIndexOf(':'))));
  t.deepEqual([...sources].sort(), ['127.0.0.1', '127.0.0.2']);
  t.deepEqual(await devices(s, 'pskcsv-'), [], 'every device de-registered');
});

test.serial('--psk-from JSON array: a device with a wrong key fails and is reported, the others register over coaps', async (t) => {
  const s = await startServer(t, ['--no-bootstrap']);
  const creds = keysFor('pskjson-', 12);
  await Promise.all(creds.map((c) => s.api('POST', '/api/v1/security', { endpoint: c.endpoint, psk: { identity: c.identity, key: c.key } })));
  const wrong = hex();
  const file = path.join(s.data, 'creds.json');
  await writeFile(file, JSON.stringify(creds.map((c, i) => (i === 5 ? { ...c, key: wrong } : c)), null, 2));

  const { seen, summary } = await runFleet(t, s, 'pskjson-', 11, ['--server', `coaps://127.0.0.1:${s.coapsPort}`, '--psk-from', file, '--count', '12']);
  t.is(seen.length, 11);
  t.false(seen.some((d) => d.endpoint === 'pskjson-5'));
  t.true(seen.every((d) => d.transport === 'coaps'));
  t.like(summary, { requested: 12, registered: 11, failures: 1, deregistered: 11 });
  t.regex(summary.firstFailure ?? '', /^pskjson-5: the server at 127\.0\.0\.1:\d+ refused the PSK of identity "pskjson-5-id": wrong key/);
  t.false(JSON.stringify(summary).includes(wrong), 'the key is not echoed');
  t.deepEqual(await devices(s, 'pskjson-'), []);
});

test.serial('--psk-from argument errors: one clear line on stderr, exit 1, no key echoed', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-simsec-args-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const key = hex();
  const malformed = path.join(dir, 'malformed.csv');
  await writeFile(malformed, `dev-0,dev-0-id,${hex()}\ndev-1,${key}\n`);
  const badKey = path.join(dir, 'bad-key.csv');
  await writeFile(badKey, `dev-0,dev-0-id,${key}zz\n`);
  const badJson = path.join(dir, 'bad.json');
  await writeFile(badJson, `[{"endpoint":"dev-0","identity":"dev-0-id","key":"${key}"},]`);
  const good = path.join(dir, 'good.csv');
  await writeFile(good, `dev-0,dev-0-id,${key}\n`);
  const coaps = ['--server', 'coaps://127.0.0.1:1', '--count', '1', '--duration', '1'];
  const cases: Array<[string[], RegExp]> = [
    [[...coaps, '--psk-from', path.join(dir, 'missing.csv')], /--psk-from: cannot read .*missing\.csv.*ENOENT/],
    [[...coaps, '--psk-from', malformed], /--psk-from .*malformed\.csv, line 2: expected endpoint,identity,hexkey/],
    [[...coaps, '--psk-from', badKey], /--psk-from .*bad-key\.csv, line 1: key of dev-0 must be 1 to 64 bytes in hex/],
    [[...coaps, '--psk-from', badJson], /--psk-from .*bad\.json.* not valid JSON/],
    [['--server', 'coap://127.0.0.1:1', '--count', '1', '--duration', '1', '--psk-from', good], /--psk-from needs a coaps:\/\/ --server/],
    [['--server', 'coaps://127.0.0.1:1', '--count', '1', '--duration', '1'], /coaps:\/\/ server needs --psk-from/],
    [[...coaps, '--psk-from', good, '--bootstrap', 'coap://127.0.0.1:1'], /--psk-from and --bootstrap exclude each other/],
    [[...coaps, '--psk-from', good, '--prefix', 'dev-', '--count', '3'], /--psk-from .*good\.csv: no credentials for dev-1 and 1 more \(the devices are dev-0 to dev-2\)/],
    [[...coaps, '--psk-from', good, '--prefix', 'sim-'], /no credentials for sim-0 \(/],
  ];
  for (const [args, message] of cases) {
    const res = await simulate(args);
    const what = args.join(' ');
    t.is(res.code, 1, what);
    t.regex(res.stderr, message, what);
    t.is(res.stderr.trim().split('\n').length, 1, `${what}: ${res.stderr}`);
    // Not even in part: V8's JSON.parse message quotes the few characters around the error.
    t.false(res.stderr.includes(key.slice(0, 6)) || res.stderr.includes(key.slice(-6)), `${what}: the key is not echoed`);
    t.is(res.stdout, '', what);
  }
});

test.serial('--bootstrap: devices bootstrap over coap and register at the (other) server the configuration names', async (t) => {
  const [bs, target] = await Promise.all([startServer(t, ['--no-dtls']), startServer(t, ['--no-dtls', '--no-bootstrap'])]);
  // The default configuration for every endpoint, through the CLI: plain CoAP to the other server.
  const added = await bs.cli(['bootstrap', 'add', '*', '--server', `coap://127.0.0.1:${target.coapPort}`, '--lifetime', '120']);
  t.is(added.code, 0, added.stderr);

  const { seen, summary } = await runFleet(t, target, 'bsplain-', 10, ['--bootstrap', `coap://127.0.0.1:${bs.bsPort}`, '--count', '10', '--lifetime', '300']);
  t.like(summary, { requested: 10, registered: 10, failures: 0, deregistered: 10 });
  t.is(seen.length, 10);
  t.true(seen.every((d) => d.transport === 'coap' && d.lifetime === 120), 'registered with the delivered lifetime');
  t.deepEqual(await devices(bs, 'bsplain-'), [], 'nobody registered at the bootstrap server');
  const { sessions } = await bs.api<{ sessions: Session[] }>('GET', '/api/v1/bootstrap/sessions');
  const finished = new Set(sessions.filter((x) => x.state === 'finished' && x.transport === 'coap').map((x) => x.endpoint));
  t.is(finished.size, 10);
  t.true([...finished].every((ep) => /^bsplain-\d$/.test(ep)));
  t.deepEqual(await devices(target, 'bsplain-'), []);
});

test.serial('--bootstrap: a delivered coaps account with PSK is used for the registration; an endpoint without a configuration fails', async (t) => {
  const s = await startServer(t, []);
  const creds = keysFor('bspsk-', 7);
  // Per-endpoint configurations through the API; `local` adds each PSK to this server's security store.
  for (const c of creds) {
    await s.api('PUT', `/api/v1/bootstrap/configs/${c.endpoint}`, {
      endpoint: c.endpoint,
      servers: [{ uri: `coaps://127.0.0.1:${s.coapsPort}`, lifetime: 90, local: true, security: { mode: 'psk', identity: c.identity, key: c.key } }],
    });
  }
  const security = await s.api<{ credentials?: unknown[] } | unknown[]>('GET', '/api/v1/security');
  t.true(JSON.stringify(security).includes('bspsk-6-id'), 'provisioning added the credentials');

  // Eight devices: bspsk-7 has no configuration (and there is no default), so it is refused.
  const { seen, summary } = await runFleet(t, s, 'bspsk-', 7, ['--bootstrap', `coap://127.0.0.1:${s.bsPort}`, '--count', '8']);
  t.like(summary, { requested: 8, registered: 7, failures: 1, deregistered: 7 });
  t.regex(summary.firstFailure ?? '', /^bspsk-7: bootstrap with 127\.0\.0\.1:\d+ failed: Bootstrap-Request answered 4\.00/);
  t.is(seen.length, 7);
  t.true(seen.every((d) => d.transport === 'coaps' && d.lifetime === 90), JSON.stringify(seen.map((d) => [d.endpoint, d.transport, d.lifetime])));
  const { sessions } = await s.api<{ sessions: Session[] }>('GET', '/api/v1/bootstrap/sessions');
  t.deepEqual([...new Set(sessions.filter((x) => x.state === 'finished').map((x) => x.endpoint))].sort(), creds.map((c) => c.endpoint).sort());
  t.deepEqual(await devices(s, 'bspsk-'), []);
  t.false(s.logs.some((l) => creds.some((c) => l.includes(c.key))), 'no PSK in the server logs');
});

test.serial('--bootstrap over IPv6: bootstrap at [::1] and register at the [::1] server it names', async (t) => {
  const s = await startServer(t, ['--no-dtls', '--host', '::1']);
  await s.api('PUT', '/api/v1/bootstrap/configs/*', { endpoint: '*', servers: [{ uri: `coap://[::1]:${s.coapPort}`, lifetime: 100 }] });
  const { seen, summary } = await runFleet(t, s, 'bsv6-', 3, ['--bootstrap', `coap://[::1]:${s.bsPort}`, '--count', '3']);
  t.like(summary, { registered: 3, failures: 0, deregistered: 3 });
  t.true(seen.every((d) => d.address.startsWith('[::1]:') && d.lifetime === 100), JSON.stringify(seen.map((d) => d.address)));
});

test.serial('--bootstrap to a server that never answers: each device fails within the bootstrap deadline', async (t) => {
  // A socket that swallows the Bootstrap-Request: no answer, no ICMP error.
  const hole = dgram.createSocket('udp4');
  hole.bind(0, '127.0.0.1');
  await once(hole, 'listening');
  t.teardown(() => hole.close());
  const res = await simulate(['--bootstrap', `coap://127.0.0.1:${hole.address().port}`, '--count', '2', '--duration', '1', '--json']);
  t.is(res.code, 1, 'no device registered');
  const summary = JSON.parse(res.stdout) as Summary;
  t.like(summary, { requested: 2, registered: 0, failures: 2 });
  t.regex(summary.firstFailure ?? '', /^sim-\d: bootstrap with 127\.0\.0\.1:\d+ failed: no response from .* in time$/);
});

test('devices bind an address that reaches the server: loopback for loopback, the wildcard otherwise', (t) => {
  t.is(localAddressFor('127.0.0.1'), '127.0.0.1');
  t.is(localAddressFor('::1'), '::1');
  // A socket bound to 127.0.0.1 cannot send to another machine (EINVAL): --allow-remote needs the wildcard.
  t.is(localAddressFor('192.0.2.1'), '0.0.0.0');
  t.is(localAddressFor('2001:db8::1'), '::');
  // DTLS devices: 200 per loopback source address (the server admits 256 sessions per address).
  t.is(dtlsSourceAddress(199, '127.0.0.1'), '127.0.0.1');
  t.is(dtlsSourceAddress(200, '127.0.0.1'), '127.0.0.2');
  t.is(dtlsSourceAddress(99_999, '127.0.0.1'), '127.0.1.246');
  t.is(dtlsSourceAddress(500, '::1'), '::1');
});
