import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closedLoop, registerRequest, type LoadResult } from './registration-load.js';

/**
 * The registration load against the lwm2m-node-lib server in its own process. Not a
 * dependency of this project: found in node_modules or in `LWM2M_PEER_DIR`
 * (`npm install --prefix DIR lwm2m-node-lib`); absent, the row says so.
 */
export async function peerRegistrations(sockets: number, ms: number): Promise<{ result?: LoadResult; version?: string; note: string }> {
  const child = fork(fileURLToPath(new URL('./peer-lwm2m-node-lib-server.js', import.meta.url)), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
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
    return { note: `not measured (${(e as Error).message}); install it with "npm install --prefix DIR lwm2m-node-lib" and set LWM2M_PEER_DIR=DIR` };
  } finally {
    if (child.connected) child.disconnect();
    child.kill();
  }
}
