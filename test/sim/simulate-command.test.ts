import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, spawnServer } from '../helpers/server-process.js';

/**
 * `lwm2m simulate` end to end: a real server in its own process, the command in another. The
 * command is driven through commander with only `registerSimulateCommand`, so this test does
 * not depend on how main.ts wires the other commands.
 */
const SIMULATE = fileURLToPath(new URL('../../src/cli/commands/simulate.js', import.meta.url));
const ENTRY = [
  '--input-type=module',
  '-e',
  `import { Command } from 'commander'; const { registerSimulateCommand } = await import(${JSON.stringify(SIMULATE)});
   const p = new Command('lwm2m').exitOverride().configureOutput({ writeErr: () => undefined }); registerSimulateCommand(p);
   try { await p.parseAsync(process.argv.slice(1), { from: 'user' }); } catch (e) { process.stderr.write('lwm2m: ' + e.message + '\\n'); process.exitCode = 1; }`,
];
const simulate = (args: string[], timeoutMs = 60_000) => run(process.execPath, [...ENTRY, '--', 'simulate', ...args], { timeoutMs });

interface Summary {
  requested: number;
  registered: number;
  failures: number;
  deregistered: number;
  sends: number;
  sendsFailed: number;
}

test('simulate --count 200 --duration 5 registers 200 devices, keeps them reporting, then de-registers them all', async (t) => {
  const data = await mkdtemp(path.join(tmpdir(), 'lwm2m-sim-'));
  const server = await spawnServer(data, ['--no-protection', '--no-dtls', '--no-bootstrap']);
  t.teardown(async () => {
    await server.stop();
    await rm(data, { recursive: true, force: true });
  });
  const res = await simulate(['--server', `coap://127.0.0.1:${server.coapPort}`, '--count', '200', '--duration', '5', '--send-every', '2', '--prefix', 'simt-', '--json']);
  t.is(res.code, 0, res.stderr);
  const s = JSON.parse(res.stdout) as Summary;
  t.is(s.requested, 200);
  t.is(s.registered, 200);
  t.is(s.failures, 0);
  t.is(s.deregistered, 200);
  t.true(s.sends >= 200, `sends ${s.sends}`);
  t.is(s.sendsFailed, 0);
  // The server saw each endpoint register and de-register.
  const regs = new Set<string>();
  const deregs = new Set<string>();
  for (const line of server.logs) {
    const m = /"endpoint":"(simt-\d+)"/.exec(line);
    if (!m) continue;
    if (line.includes('"msg":"deregistered"')) deregs.add(m[1]!);
    else if (line.includes('"msg":"registered"')) regs.add(m[1]!);
  }
  t.is(regs.size, 200);
  t.is(deregs.size, 200);
});

test('simulate refuses a server that is not on loopback unless --allow-remote', async (t) => {
  const res = await simulate(['--server', 'coap://192.0.2.1:5683', '--count', '1', '--duration', '1']);
  t.not(res.code, 0);
  t.regex(res.stderr, /not a loopback address.*--allow-remote/);
  t.is(res.stderr.trim().split('\n').length, 1);
});

test('simulate validates its arguments with one clear line', async (t) => {
  for (const [args, message] of [
    [['--count', '0'], /--count.*1 to 100000/],
    [['--count', '100001'], /--count.*1 to 100000/],
    [['--duration', '90000'], /--duration.*at most 86400/],
    [['--objects', '3,abc'], /--objects/],
    [['--server', 'http://127.0.0.1:1'], /scheme must be coap or coaps/],
    [['--server', 'coaps://127.0.0.1:1'], /coaps:\/\/ server needs --psk-from/],
  ] as const) {
    const res = await simulate([...args]);
    t.not(res.code, 0, args.join(' '));
    t.regex(res.stderr, message, args.join(' '));
  }
});
