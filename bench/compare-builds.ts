/**
 * Two builds of the server side by side, for a claim that a change is faster:
 *
 *   node dist/bench/compare-builds.js <build A> <build B> [reads|notifications|updates] [rounds]
 *
 * A build is a checkout with its `dist/` compiled (and `node_modules/`, `objects/` beside it).
 * Each build's own bench server (bench/management-server.ts, or bench/registrations-server.ts for
 * updates) is forked from that build, both at once; this process is the load for both (200
 * lightweight devices each, or 4,000 registered devices over 32 sockets each) and measures them
 * in alternated 1.5 s slices, A first in even rounds and B first in odd ones. On shared cores the
 * machine's speed drifts by a third within a minute, so single runs of each build compare
 * poorly; slices a second apart see the same machine. Printed per round: each build's rate and
 * server CPU per operation (the whole process, from /proc on Linux), and B/A; then the medians.
 * Not part of `npm run bench` (it needs two builds). Bounded: at most 40 rounds.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LightDevice } from './management-devices.js';
import type { ServerCommand, ServerReply } from './management-server.js';
import { processCpuMs } from './proc-cpu.js';
import { median } from './rounds.js';

type Mode = 'reads' | 'notifications' | 'updates';
type LoadModule = typeof import('./registration-load.js');
type DevicesModule = typeof import('./management-devices.js');

interface Slice {
  perSecond: number;
  /** Server CPU per operation (µs), all threads; NaN when it cannot be read. */
  cpuUs: number;
}

interface Side {
  name: string;
  child: ChildProcess;
  slice: () => Promise<Slice>;
}

const SLICE_MS = 1500;
const DEVICES = 200;
const REGISTERED = 4000;
const SOCKETS = 32;

function usage(message: string): never {
  process.stderr.write(`compare-builds: ${message}\nusage: node dist/bench/compare-builds.js <build A> <build B> [reads|notifications|updates] [rounds 1-40]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { builds: [string, string]; mode: Mode; rounds: number } {
  const [a, b, mode = 'reads', rounds = '8'] = argv;
  if (a === undefined || b === undefined) usage('two build directories are needed');
  const builds = [a, b].map((d) => path.resolve(d)) as [string, string];
  for (const d of builds) if (!existsSync(path.join(d, 'dist/bench/registration-load.js'))) usage(`${d} has no compiled dist/bench (run tsc there first)`);
  if (mode !== 'reads' && mode !== 'notifications' && mode !== 'updates') usage(`unknown measurement "${mode}"`);
  const n = Number(rounds);
  if (!Number.isInteger(n) || n < 1 || n > 40) usage(`rounds must be an integer from 1 to 40, got "${rounds}"`);
  return { builds, mode, rounds: n };
}

async function load<T>(build: string, file: string): Promise<T> {
  return (await import(pathToFileURL(path.join(build, 'dist/bench', file)).href)) as T;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Reads or notifications against the build's device-management bench server. */
async function managementSide(build: string, mode: 'reads' | 'notifications'): Promise<Side> {
  const { forkServer, ask } = await load<LoadModule>(build, 'registration-load.js');
  const { LightDevice, RESOURCE } = await load<DevicesModule>(build, 'management-devices.js');
  const { child, ready } = await forkServer<Extract<ServerReply, { type: 'ready' }>>('./management-server.js');
  const request = (cmd: ServerCommand): Promise<ServerReply> => ask<ServerReply>(child, cmd, 30_000);
  const devices: LightDevice[] = [];
  for (let i = 0; i < DEVICES; i++) devices.push(await LightDevice.open({ server: { address: '127.0.0.1', port: ready.coapPort }, endpoint: `bench-${i}` }));
  await Promise.all(devices.map((d) => d.register()));
  const endpoints = devices.map((d) => d.endpoint);
  if (mode === 'notifications') {
    const r = await request({ type: 'observe', endpoints, path: RESOURCE, format: 112 });
    if (r.type !== 'observed' || r.failed > 0) throw new Error(`${build}: observing failed (${JSON.stringify(r)})`);
  }
  const slice = async (): Promise<Slice> => {
    if (mode === 'reads') {
      const r = await request({ type: 'reads', endpoints, path: RESOURCE, durationMs: SLICE_MS });
      if (r.type !== 'reads-done') throw new Error(`${build}: unexpected answer ${r.type}`);
      return { perSecond: r.ok / (r.ms / 1000), cpuUs: (r.cpu.processMs * 1000) / r.ok };
    }
    await request({ type: 'count-start' });
    for (const d of devices) d.startNotifying(true);
    await sleep(SLICE_MS);
    for (const d of devices) d.stopNotifying();
    const r = await request({ type: 'count-get' });
    if (r.type !== 'count') throw new Error(`${build}: unexpected answer ${r.type}`);
    await sleep(200); // the last ACKs
    return { perSecond: r.count / (SLICE_MS / 1000), cpuUs: (r.cpu.processMs * 1000) / r.count };
  };
  return { name: build, child, slice };
}

/** Registration Updates against the build's registration bench server. */
async function updatesSide(build: string): Promise<Side> {
  const L = await load<LoadModule>(build, 'registration-load.js');
  const { child, ready } = await L.forkServer<{ coapPort: number }>('./registrations-server.js');
  const sockets = await L.openLoadSockets(SOCKETS);
  // Each device sends its Updates from the socket it registered from.
  const bySocket: string[][][] = Array.from({ length: SOCKETS }, () => []);
  const reg = await L.closedLoop({ port: ready.coapPort, sockets, ms: 60_000, make: (i) => (i < REGISTERED ? L.registerRequest(`cmp-${i}`) : undefined), expect: '2.01', onAnswer: (_i, location, socket) => bySocket[socket]!.push(location) });
  if (reg.ok !== REGISTERED) throw new Error(`${build}: ${reg.ok} of ${REGISTERED} registered (${reg.firstError ?? ''})`);
  const slice = async (): Promise<Slice> => {
    const before = processCpuMs(child.pid);
    const r = await L.closedLoop({ port: ready.coapPort, sockets, ms: SLICE_MS, make: (_i, socket, n) => L.updateRequest(bySocket[socket]![n % bySocket[socket]!.length]!), expect: '2.04' });
    return { perSecond: r.perSecond, cpuUs: ((processCpuMs(child.pid) - before) * 1000) / r.ok };
  };
  return { name: build, child, slice };
}

export async function compare(builds: [string, string], mode: Mode, rounds: number): Promise<{ ratio: number; cpuUs: [number, number] }> {
  const sides: Side[] = [];
  try {
    for (const b of builds) sides.push(mode === 'updates' ? await updatesSide(b) : await managementSide(b, mode));
    for (const s of sides) await s.slice(); // warm-up
    const results: Slice[][] = [[], []];
    for (let round = 0; round < rounds; round++) {
      for (const k of round % 2 === 0 ? [0, 1] : [1, 0]) results[k]!.push(await sides[k]!.slice());
      const [a, b] = [results[0]!.at(-1)!, results[1]!.at(-1)!];
      console.log(`round ${round + 1}: A ${a.perSecond.toFixed(0)}/s, ${a.cpuUs.toFixed(1)} µs | B ${b.perSecond.toFixed(0)}/s, ${b.cpuUs.toFixed(1)} µs | B/A ${(b.perSecond / a.perSecond).toFixed(3)}`);
    }
    const ratio = median(results[1]!.map((b, i) => b.perSecond / results[0]![i]!.perSecond));
    const cpuUs: [number, number] = [median(results[0]!.map((s) => s.cpuUs)), median(results[1]!.map((s) => s.cpuUs))];
    console.log(`${mode}: B/A ${ratio.toFixed(3)} (median of ${rounds} rounds); server CPU per operation, medians: A ${cpuUs[0].toFixed(1)} µs, B ${cpuUs[1].toFixed(1)} µs`);
    return { ratio, cpuUs };
  } finally {
    for (const s of sides) s.child.kill();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { builds, mode, rounds } = parseArgs(process.argv.slice(2));
  console.log(`A: ${builds[0]}\nB: ${builds[1]}`);
  await compare(builds, mode, rounds);
  process.exit(0);
}
