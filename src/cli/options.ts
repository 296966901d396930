import { InvalidArgumentError, type Command } from 'commander';

export function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('must be a port number from 0 to 65535.');
  return Number(value);
}

export function parsePositive(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number.');
  return n;
}

export function parseNonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number, 0 or more.');
  return n;
}

/** `--url` and `--data` for every command that talks to a running server. */
export function withApiOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'management API of the running server (env LWM2M_URL)', undefined)
    .option('--data <dir>', 'data folder to read admin.token from when LWM2M_TOKEN is unset (env LWM2M_DATA)', undefined);
}

export interface ApiCommandOptions {
  url?: string;
  data?: string;
  json?: boolean;
}
