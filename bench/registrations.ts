import { closedLoop, deregisterRequest, forkServer, registerRequest, stopChild, udpCeiling, updateRequest, type LoadResult } from './registration-load.js';
import { peerRegistrations } from './peer-lwm2m-node-lib.js';

/**
 * Registration interface throughput (issue "Fleet simulator and the benchmark suite"): the
 * server in its own process (bench/registrations-server.ts, LevelDB: a Register is answered only
 * once written), this process the load (bench/registration-load.ts: raw CoAP, closed loops).
 * Registrations/s, Updates/s and De-registrations/s, against the ceiling measured in the same
 * run: the same closed loops against a Node UDP echo process. The same phases against the stack
 * floor (bench/stack-floor-server.ts: the least a durable server can do per request on
 * coap-packet + LevelDB, none of our code). Then the lwm2m-node-lib server (npm), if installed,
 * under the same Register load.
 */
export interface RegistrationRow {
  name: string;
  result: LoadResult;
  ratio: number;
  target: string;
}

const SOCKETS = 32;

/** Register (new endpoints), Update (of those) and De-register against the server on `port`. */
async function phases(port: number, phaseMs: number): Promise<{ regs: LoadResult; upd: LoadResult; dereg: LoadResult }> {
  const locations: string[][] = [];
  const regs = await closedLoop({ port, sockets: SOCKETS, ms: phaseMs, make: (i) => (i < 200_000 ? registerRequest(`bench-${i}`) : undefined), expect: '2.01', onAnswer: (i, loc) => (locations[i] = loc) });
  const live = locations.filter((l) => l !== undefined);
  const upd = await closedLoop({ port, sockets: SOCKETS, ms: phaseMs, make: (i) => updateRequest(live[i % live.length]!), expect: '2.04' });
  const dereg = await closedLoop({ port, sockets: SOCKETS, ms: phaseMs, make: (i) => (i < live.length ? deregisterRequest(live[i]!) : undefined), expect: '2.02' });
  return { regs, upd, dereg };
}

/** The same phases against a server process (ours, or the stack floor). */
async function phasesAgainst(file: string, phaseMs: number): Promise<{ regs: LoadResult; upd: LoadResult; dereg: LoadResult }> {
  const { child, ready } = await forkServer<{ coapPort: number }>(file);
  try {
    return await phases(ready.coapPort, phaseMs);
  } finally {
    await stopChild(child);
  }
}

export async function run(opts: { phaseMs?: number; log?: (line: string) => void } = {}): Promise<RegistrationRow[]> {
  const phaseMs = Math.min(opts.phaseMs ?? 4000, 10_000);
  const log = opts.log ?? console.log;
  const before = await udpCeiling(SOCKETS, phaseMs);
  const ours = await phasesAgainst('./registrations-server.js', phaseMs);
  // The stack floor (bench/stack-floor-server.ts): the least a durable server can do per request
  // on coap-packet + LevelDB, none of our code; how much of the way to the ceiling is the stack.
  const floor = await phasesAgainst('./stack-floor-server.js', phaseMs);
  // The ceiling is measured before and after the servers' phases and averaged: on shared cores
  // one measurement alone swings by a third.
  const after = await udpCeiling(SOCKETS, phaseMs);
  const ceiling: LoadResult = { ok: before.ok + after.ok, failed: before.failed + after.failed, seconds: before.seconds + after.seconds, perSecond: (before.perSecond + after.perSecond) / 2 };
  const rows: RegistrationRow[] = [];
  const row = (name: string, result: LoadResult, target: number | undefined, floorResult: LoadResult): void => {
    const ratio = result.perSecond / ceiling.perSecond;
    const vsFloor = `${(result.perSecond / floorResult.perSecond).toFixed(2)} of the stack floor`;
    rows.push({ name, result, ratio, target: target === undefined ? vsFloor : `>= ${target}x ${ratio >= target ? 'met' : 'MISSED'}; ${vsFloor}` });
  };
  row('Register (durable, LevelDB)', ours.regs, 0.5, floor.regs);
  row('Update', ours.upd, 0.7, floor.upd);
  row('De-register', ours.dereg, undefined, floor.dereg);
  const peer = await peerRegistrations(SOCKETS, phaseMs);
  const oursRegs = ours.regs.perSecond;
  if (peer.result) {
    const r = oursRegs / peer.result.perSecond;
    const f = floor.regs.perSecond / peer.result.perSecond;
    rows.push({ name: `Register, lwm2m-node-lib ${peer.version} server (in memory)`, result: peer.result, ratio: peer.result.perSecond / ceiling.perSecond, target: `ours ${r.toFixed(1)}x theirs (>= 10x ${r >= 10 ? 'met' : 'MISSED'}); the stack floor ${f.toFixed(1)}x theirs` });
  }
  for (const [name, result] of [['Register', floor.regs], ['Update', floor.upd], ['De-register', floor.dereg]] as const) {
    rows.push({ name: `stack floor: ${name} (minimal server on coap-packet + LevelDB, no LwM2M logic)`, result, ratio: result.perSecond / ceiling.perSecond, target: '' });
  }
  rows.push({ name: `ceiling: raw Node UDP round trips (mean of ${Math.round(before.perSecond)}/s before and ${Math.round(after.perSecond)}/s after)`, result: ceiling, ratio: 1, target: '' });
  log(`${SOCKETS} closed loops (one request in flight per socket), ${phaseMs / 1000} s a phase; devices share sockets (the server keys registrations by endpoint)\n`);
  log('| operation | ok | failed | seconds | per second | x ceiling | target |');
  log('|---|---:|---:|---:|---:|---:|---|');
  for (const r of rows) log(`| ${r.name} | ${r.result.ok} | ${r.result.failed} | ${r.result.seconds.toFixed(1)} | ${Math.round(r.result.perSecond)} | ${r.ratio.toFixed(2)} | ${r.target} |`);
  if (!peer.result) log(`\nlwm2m-node-lib peer: ${peer.note}`);
  for (const r of rows) if (r.result.firstError) log(`\n${r.name}: first error: ${r.result.firstError}`);
  return rows;
}
