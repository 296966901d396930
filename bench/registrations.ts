import type { RegServerReply } from './registrations-server.js';
import { closedLoop, deregisterRequest, forkServer, registerRequest, stopChild, udpCeiling, updateRequest, type LoadResult } from './registration-load.js';
import { peerRegistrations } from './peer-lwm2m-node-lib.js';

/**
 * Registration interface throughput (issue "Fleet simulator and the benchmark suite"): the
 * server in its own process (bench/registrations-server.ts, LevelDB: a Register is answered only
 * once written), this process the load (bench/registration-load.ts: raw CoAP, closed loops).
 * Registrations/s, Updates/s and De-registrations/s, against the ceiling measured in the same
 * run: the same closed loops against a Node UDP echo process. Then the lwm2m-node-lib server
 * (npm), if installed, under the same Register load.
 */
export interface RegistrationRow {
  name: string;
  result: LoadResult;
  ratio: number;
  target: string;
}

const SOCKETS = 32;

export async function run(opts: { phaseMs?: number; log?: (line: string) => void } = {}): Promise<RegistrationRow[]> {
  const phaseMs = Math.min(opts.phaseMs ?? 4000, 10_000);
  const log = opts.log ?? console.log;
  const before = await udpCeiling(SOCKETS, phaseMs);
  const { child, ready } = await forkServer<Extract<RegServerReply, { type: 'ready' }>>('./registrations-server.js');
  const rows: RegistrationRow[] = [];
  const pending: { name: string; result: LoadResult; target: number | undefined }[] = [];
  const row = (name: string, result: LoadResult, target: number | undefined): void => void pending.push({ name, result, target });
  try {
    const locations: string[][] = [];
    const regs = await closedLoop({ port: ready.coapPort, sockets: SOCKETS, ms: phaseMs, make: (i) => (i < 200_000 ? registerRequest(`bench-${i}`) : undefined), expect: '2.01', onAnswer: (i, loc) => (locations[i] = loc) });
    row('Register (durable, LevelDB)', regs, 0.5);
    const live = locations.filter((l) => l !== undefined);
    const upd = await closedLoop({ port: ready.coapPort, sockets: SOCKETS, ms: phaseMs, make: (i) => updateRequest(live[i % live.length]!), expect: '2.04' });
    row('Update', upd, 0.7);
    const dereg = await closedLoop({ port: ready.coapPort, sockets: SOCKETS, ms: phaseMs, make: (i) => (i < live.length ? deregisterRequest(live[i]!) : undefined), expect: '2.02' });
    row('De-register', dereg, undefined);
  } finally {
    await stopChild(child);
  }
  // The ceiling is measured before and after the server's phases and averaged: on shared cores
  // one measurement alone swings by a third.
  const after = await udpCeiling(SOCKETS, phaseMs);
  const ceiling: LoadResult = { ok: before.ok + after.ok, failed: before.failed + after.failed, seconds: before.seconds + after.seconds, perSecond: (before.perSecond + after.perSecond) / 2 };
  for (const { name, result, target } of pending) {
    const ratio = result.perSecond / ceiling.perSecond;
    rows.push({ name, result, ratio, target: target === undefined ? '' : `>= ${target}x ${ratio >= target ? 'met' : 'MISSED'}` });
  }
  const peer = await peerRegistrations(SOCKETS, phaseMs);
  const ours = rows[0]!.result.perSecond;
  if (peer.result) {
    const r = ours / peer.result.perSecond;
    rows.push({ name: `Register, lwm2m-node-lib ${peer.version} server (in memory)`, result: peer.result, ratio: peer.result.perSecond / ceiling.perSecond, target: `ours ${r.toFixed(1)}x theirs (>= 10x ${r >= 10 ? 'met' : 'MISSED'})` });
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
