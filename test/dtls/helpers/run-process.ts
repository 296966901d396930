/** Runs an external peer (openssl, libcoap) with bounded time, feeding stdin and collecting output. */
import { spawn, spawnSync } from 'node:child_process';

export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export interface ProcessResult {
  code: number | null;
  output: string;
}

/**
 * Starts `cmd`; writes `input` to stdin once `waitFor` appears in the output (or at once),
 * then ends stdin after `endAfter` appears (or at once). Killed after `timeoutMs`.
 */
export function runPeer(
  cmd: string,
  args: string[],
  o: { input?: string; writeWhen?: RegExp; endWhen?: RegExp; timeoutMs?: number; keepStdinOpen?: boolean } = {},
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let wrote = false;
    let ended = false;
    const step = (): void => {
      if (!wrote && (!o.writeWhen || o.writeWhen.test(output))) {
        wrote = true;
        if (o.input !== undefined) p.stdin.write(o.input);
      }
      if (wrote && !ended && !o.keepStdinOpen && (!o.endWhen || o.endWhen.test(output))) {
        ended = true;
        p.stdin.end();
      }
    };
    const onData = (d: Buffer): void => {
      output += d.toString();
      step();
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.stdin.on('error', () => undefined);
    const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 8000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    step();
  });
}
