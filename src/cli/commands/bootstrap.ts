import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { isLwm2mError } from '../../errors.js';
import { parseBootstrapConfig } from '../../lwm2m/bootstrap/config-json.js';
import type { ProvisionResult } from '../../lwm2m/bootstrap/provisioning.js';
import type { BootstrapConfigSummary, BootstrapSessionInfo } from '../../lwm2m/bootstrap/types.js';
import type { SecuritySummary } from '../../security/types.js';
import { apiCall, CliError, resolveTarget } from '../api-client.js';
import { withApiOptions, type ApiCommandOptions } from '../options.js';
import { printJson, printRecord, printTable } from '../output.js';

const enc = encodeURIComponent;

interface AddOptions extends ApiCommandOptions {
  server?: string;
  pskIdentity?: string;
  pskKey?: string;
  lifetime?: number;
  ssid?: number;
  binding?: string;
  bsPskIdentity?: string;
  bsPskKey?: string;
  fromFile?: string;
}

function integer(value: string): number {
  if (!/^\d{1,10}$/.test(value)) throw new InvalidArgumentError('must be a whole number.');
  return Number(value);
}

/** The JSON configuration from the flags: one server account pointing at this server (`local`). */
export function configFromFlags(endpoint: string, o: AddOptions): Record<string, unknown> {
  if (o.server === undefined) throw new CliError('give --server URI (or --from-file FILE)');
  if ((o.pskIdentity === undefined) !== (o.pskKey === undefined)) throw new CliError('PSK mode needs both --psk-identity and --psk-key');
  if ((o.bsPskIdentity === undefined) !== (o.bsPskKey === undefined)) throw new CliError('a bootstrap PSK needs both --bs-psk-identity and --bs-psk-key');
  const server: Record<string, unknown> = {
    uri: o.server,
    local: true,
    security: o.pskIdentity === undefined ? { mode: 'nosec' } : { mode: 'psk', identity: o.pskIdentity, key: o.pskKey },
  };
  if (o.lifetime !== undefined) server.lifetime = o.lifetime;
  if (o.ssid !== undefined) server.shortServerId = o.ssid;
  if (o.binding !== undefined) server.binding = o.binding;
  const config: Record<string, unknown> = { endpoint, servers: [server] };
  if (o.bsPskIdentity !== undefined) config.bootstrap = { security: { mode: 'psk', identity: o.bsPskIdentity, key: o.bsPskKey } };
  return config;
}

/** A file with one configuration, an array of them, or `{ "configs": [...] }`. */
async function configsFromFile(file: string): Promise<Record<string, unknown>[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`--from-file: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`--from-file: ${file} is not JSON`);
  }
  const list = Array.isArray(json) ? json : json && typeof json === 'object' && Array.isArray((json as { configs?: unknown }).configs) ? (json as { configs: unknown[] }).configs : [json];
  return list as Record<string, unknown>[];
}

/** Checks a configuration here first, so a typo fails before anything is sent; never echoes a key. */
function validate(body: Record<string, unknown>, endpoint?: string): void {
  try {
    parseBootstrapConfig(body, endpoint);
  } catch (e) {
    if (isLwm2mError(e)) throw new CliError(e.message);
    throw e;
  }
}

function describe(s: BootstrapConfigSummary): string {
  return s.servers.map((a) => `${a.uri} (ssid ${a.shortServerId}, ${a.mode}${a.identity ? ` "${a.identity}"` : ''})`).join(', ');
}

function printAdded(res: ProvisionResult): void {
  const verb = res.replaced ? 'replaced' : 'added';
  process.stdout.write(`${verb} bootstrap configuration for ${res.config.endpoint}: ${describe(res.config)}\n`);
  if (res.security) process.stdout.write(`added ${res.security.mode} credentials "${res.security.identity ?? ''}" to the security store\n`);
}

export function registerBootstrapCommands(program: Command): void {
  const bs = program.command('bootstrap').description('bootstrap server: what devices are told, and the sessions that told them');

  withApiOptions(bs.command('add [endpoint]').description('provision a device: its bootstrap configuration and, with a PSK, our security store entry ("*" = default for all endpoints)'))
    .option('--server <uri>', 'LwM2M server the device is sent to, e.g. coaps://host:5684')
    .option('--psk-identity <id>', 'PSK identity the device will use with that server')
    .option('--psk-key <hex>', 'that PSK, as hex')
    .option('--lifetime <s>', 'registration lifetime in seconds (default 86400)', integer)
    .option('--ssid <n>', 'short server id (default 1)', integer)
    .option('--binding <b>', 'binding, e.g. U or UQ (default U)')
    .option('--bs-psk-identity <id>', 'PSK identity the device bootstraps with over DTLS')
    .option('--bs-psk-key <hex>', 'that bootstrap PSK, as hex')
    .option('--from-file <file>', 'JSON configuration(s) instead of the flags (see README)')
    .option('--json', 'print JSON')
    .action(async (endpoint: string | undefined, opts: AddOptions) => {
      if (opts.fromFile === undefined && endpoint === undefined) throw new CliError('give the endpoint name');
      const bodies = opts.fromFile !== undefined ? await configsFromFile(opts.fromFile) : [configFromFlags(endpoint!, opts)];
      if (opts.fromFile !== undefined && endpoint !== undefined && bodies.length !== 1) throw new CliError('an endpoint argument needs a file with one configuration');
      for (const b of bodies) validate(b, endpoint);
      const target = await resolveTarget(opts);
      const results: ProvisionResult[] = [];
      for (const body of bodies) {
        const ep = endpoint ?? (body.endpoint as string);
        results.push(await apiCall<ProvisionResult>(target, 'PUT', `/api/v1/bootstrap/configs/${enc(ep)}`, body));
      }
      if (opts.json) return printJson(results.length === 1 ? results[0] : results);
      results.forEach(printAdded);
    });

  withApiOptions(bs.command('list').description('bootstrap configurations (keys are never shown)'))
    .option('--json', 'print JSON')
    .action(async (opts: ApiCommandOptions) => {
      const { configs } = await apiCall<{ configs: BootstrapConfigSummary[] }>(await resolveTarget(opts), 'GET', '/api/v1/bootstrap/configs');
      if (opts.json) return printJson(configs);
      printTable(
        configs.map((c) => ({ endpoint: c.endpoint, servers: describe(c), bootstrap: c.bootstrapMode ? `${c.bootstrapMode}${c.bootstrapIdentity ? ` "${c.bootstrapIdentity}"` : ''}` : '-', acls: c.acls, delete: c.delete.join(' ') })),
        ['endpoint', 'servers', 'bootstrap', 'acls', 'delete'],
      );
    });

  withApiOptions(bs.command('show <endpoint>').description('one configuration (keys are never shown)'))
    .option('--json', 'print JSON')
    .action(async (endpoint: string, opts: ApiCommandOptions) => {
      const c = await apiCall<Record<string, unknown>>(await resolveTarget(opts), 'GET', `/api/v1/bootstrap/configs/${enc(endpoint)}`);
      if (opts.json) return printJson(c);
      printRecord(c);
    });

  withApiOptions(bs.command('remove <endpoint>').description('delete a configuration (and, with --security, the security entry it provisioned)'))
    .option('--security', 'also remove the security store entry that provisioning added')
    .option('--json', 'print JSON')
    .action(async (endpoint: string, opts: ApiCommandOptions & { security?: boolean }) => {
      const q = opts.security ? '?security=true' : '';
      const res = await apiCall<{ removed: BootstrapConfigSummary; security?: SecuritySummary }>(await resolveTarget(opts), 'DELETE', `/api/v1/bootstrap/configs/${enc(endpoint)}${q}`);
      if (opts.json) return printJson(res);
      process.stdout.write(`removed bootstrap configuration of ${res.removed.endpoint}${res.security ? ` and its ${res.security.mode} credentials` : ''}\n`);
    });

  withApiOptions(bs.command('sessions [endpoint]').description('running and recent bootstrap sessions'))
    .option('--json', 'print JSON')
    .action(async (endpoint: string | undefined, opts: ApiCommandOptions) => {
      const q = endpoint === undefined ? '' : `?ep=${enc(endpoint)}`;
      const { sessions } = await apiCall<{ sessions: BootstrapSessionInfo[] }>(await resolveTarget(opts), 'GET', `/api/v1/bootstrap/sessions${q}`);
      if (opts.json) return printJson(sessions);
      printTable(
        sessions.map((s) => ({ endpoint: s.endpoint, session: s.sessionId, state: s.state, transport: s.transport, format: s.format, steps: s.steps.length, started: new Date(s.startedAt).toISOString(), error: s.error?.message })),
        ['endpoint', 'session', 'state', 'transport', 'format', 'steps', 'started', 'error'],
      );
    });

  withApiOptions(bs.command('trigger <endpoint>').description('server-initiated bootstrap: execute /1/x/9 (Bootstrap-Request Trigger) on a registered device'))
    .option('--instance <id>', 'Server object instance (default: the lowest the device registered)', integer)
    .option('--json', 'print JSON')
    .action(async (endpoint: string, opts: ApiCommandOptions & { instance?: number }) => {
      const q = opts.instance === undefined ? '' : `?instance=${opts.instance}`;
      const res = await apiCall<{ ok?: boolean; code?: string; queued?: boolean; requestId?: string }>(await resolveTarget(opts), 'POST', `/api/v1/bootstrap/trigger/${enc(endpoint)}${q}`, undefined, { acceptErrorBody: true });
      if (opts.json) return printJson(res);
      if (res.queued) return void process.stdout.write(`queued as request ${res.requestId ?? ''} (the device is asleep)\n`);
      if (!res.ok) throw new CliError(`the device answered ${res.code ?? 'nothing'}`);
      process.stdout.write(`bootstrap triggered on ${endpoint} (${res.code ?? ''})\n`);
    });
}
