import { execFile, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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

/** The lwm2m-node-lib server in its own process, or why it is not there. */
export type Peer = { port: number; version: string; stop: () => void } | { note: string };

export async function startPeer(): Promise<Peer> {
  const howTo = `install it with "npm install --prefix DIR ${PEER}" and set LWM2M_PEER_DIR=DIR`;
  let dir: string;
  try {
    dir = await peerDir();
  } catch (e) {
    return { note: `not measured (${(e as Error).message}); ${howTo}` };
  }
  const child = fork(fileURLToPath(new URL('./peer-lwm2m-node-lib-server.js', import.meta.url)), [], { env: { ...process.env, LWM2M_PEER_DIR: dir }, execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = (): void => {
    if (child.connected) child.disconnect();
    child.kill();
  };
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
    return { port: ready.port, version: ready.version, stop };
  } catch (e) {
    stop();
    return { note: `not measured (${(e as Error).message}); ${howTo}` };
  }
}
