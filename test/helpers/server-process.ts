import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface RunningServer {
  child: ChildProcess;
  coapPort: number;
  httpUrl: string;
  /** Every log line the server printed (pino JSON). */
  logs: string[];
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL (kill -9) and wait for exit. */
  kill9(): Promise<void>;
}

/** The CLI entry of the build these tests were compiled into (dist/ or another LWM2M_DIST). */
export const CLI = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));

/**
 * Starts `lwm2m serve` as a separate process on ephemeral ports (0) and learns the ports from
 * its start-up log line.
 */
export async function spawnServer(dataDir: string, extraArgs: string[] = [], opts: { coapPort?: number } = {}): Promise<RunningServer> {
  const args = [CLI, 'serve', '--data', dataDir, '--coap-port', String(opts.coapPort ?? 0), '--coaps-port', '0', '--bs-port', '0', '--bs-secure-port', '0', '--http-port', '0', '--log-level', 'info', ...extraArgs];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = new Promise<{ coap: string; http: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 15 s; logs:\n${logs.join('\n')}`)), 15_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      try {
        const rec = JSON.parse(line) as { msg?: string; coap?: string; http?: string };
        if (rec.msg === 'LwM2M server started' && rec.coap && rec.http) {
          clearTimeout(timer);
          resolve({ coap: rec.coap, http: rec.http });
        }
      } catch {
        /* not JSON: keep it in logs */
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => logs.push(line));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before starting; logs:\n${logs.join('\n')}`));
    });
  });
  const { coap, http } = await started;
  return {
    child,
    coapPort: Number(coap.slice(coap.lastIndexOf(':') + 1)),
    httpUrl: http,
    logs,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by `timeoutMs`). */
export function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish in ${options.timeoutMs ?? 20_000} ms`));
    }, options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the `lwm2m` CLI against a server. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  return run(process.execPath, [CLI, ...args], { env });
}
