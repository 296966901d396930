import { execFile, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { closedLoop, registerRequest, type LoadResult } from './registration-load.js';

/** The version compared against (the newest on npm when the benchmark was written). */
const PEER = 'lwm2m-node-lib@1.4.0';
const PEER_DIR = fileURLToPath(new URL('../../.bench-tmp/peer', import.meta.url));

/**
 * Where the peer is installed: `LWM2M_PEER_DIR`, else .bench-tmp/peer (git-ignored), installed
 * there from npm on first use. It is not a dependency of this project (it pulls in an old CoAP
 * stack). `LWM2M_BENCH_NO_INSTALL=1` skips the install; the row then says how to get it.
 */
async function peerDir(): Promise<string> {
  const dir = process.env['LWM2M_PEER_DIR'] ?? PEER_DIR;
  if (existsSync(`${dir}/node_modules/lwm2m-node-lib/package.json`) || process.env['LWM2M_PEER_DIR'] !== undefined) return dir;
  if (process.env['LWM2M_BENCH_NO_INSTALL'] === '1') throw new Error('not installed (LWM2M_BENCH_NO_INSTALL=1)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await new Promise<void>((resolve, reject) =>
    execFile(npm, ['install', '--prefix', dir, PEER, '--no-audit', '--no-fund', '--loglevel=error'], { timeout: 180_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`npm install ${PEER} failed: ${stderr.trim().split('\n').pop() ?? err.message}`)) : resolve(),
    ),
  );
  return dir;
}

/** The registration load against the lwm2m-node-lib server in its own process. */
export async function peerRegistrations(sockets: number, ms: number): Promise<{ result?: LoadResult; version?: string; note: string }> {
  let dir: string;
  try {
    dir = await peerDir();
  } catch (e) {
    return { note: `not measured (${(e as Error).message}); install it with "npm install --prefix DIR ${PEER}" and set LWM2M_PEER_DIR=DIR` };
  }
  const child = fork(fileURLToPath(new URL('./peer-lwm2m-node-lib-server.js', import.meta.url)), [], { env: { ...process.env, LWM2M_PEER_DIR: dir }, execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    const ready = await new Promise<{ port: number; version: string }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('did not start in 15 s')), 15_000);
      child.once('message', (m: { type: string; port: number; version: string; message?: string }) => {
        clearTimeout(t);
        if (m.type === 'ready') resolve(m);
        else reject(new Error(m.message));
      });
      child.once('exit', () => reject(new Error(stderr.split('\n').find((l) => /Error/.test(l)) ?? 'exited')));
    });
    const result = await closedLoop({ port: ready.port, sockets, ms, make: (i) => registerRequest(`peer-${i}`), expect: '2.01' });
    return { result, version: ready.version, note: 'measured' };
  } catch (e) {
    return { note: `not measured (${(e as Error).message}); install it with "npm install --prefix DIR ${PEER}" and set LWM2M_PEER_DIR=DIR` };
  } finally {
    if (child.connected) child.disconnect();
    child.kill();
  }
}
