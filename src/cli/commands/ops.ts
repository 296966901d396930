import { InvalidArgumentError, type Command } from 'commander';
import { apiCall, resolveTarget } from '../api-client.js';
import { withApiOptions, type ApiCommandOptions } from '../options.js';
import { printJson, printRecord, printTable } from '../output.js';

const enc = encodeURIComponent;

interface QuarantineJson {
  endpoint: string;
  reason: string;
  since: string;
  by: string;
  identities: string[];
  addresses: string[];
}

interface AuditJson {
  seq: number;
  at: string;
  actor: { kind: 'token'; name: string } | { kind: 'system'; component: string };
  action: string;
  target?: string;
  details?: Record<string, unknown>;
}

/** `key=value` sets a tag, `key=` removes it. */
export function parseTagArgs(args: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`"${a}" is not key=value`);
    const v = a.slice(i + 1);
    out[a.slice(0, i)] = v === '' ? null : v;
  }
  return out;
}

export function registerOpsCommands(program: Command): void {
  withApiOptions(program.command('quarantine <endpoint>').description('shut a device out (or "quarantine list" to list them): de-registered, observations cancelled, queue dropped, DTLS closed; refused with 4.03 until released'))
    .option('--reason <text>', 'why (kept with the quarantine and in the audit log)')
    .option('--json', 'print JSON')
    .action(async (endpoint: string, opts: ApiCommandOptions & { reason?: string }) => {
      const target = await resolveTarget(opts);
      if (endpoint === 'list') {
        const { quarantined } = await apiCall<{ quarantined: QuarantineJson[] }>(target, 'GET', '/api/v1/quarantine');
        if (opts.json) return printJson(quarantined);
        return printTable(quarantined.map((q) => ({ endpoint: q.endpoint, since: q.since, by: q.by, reason: q.reason, identities: q.identities.join(' ') })), ['endpoint', 'since', 'by', 'reason', 'identities']);
      }
      const res = await apiCall<{ endpoint: string; quarantine: Omit<QuarantineJson, 'endpoint'> }>(target, 'POST', `/api/v1/devices/${enc(endpoint)}/quarantine`, opts.reason === undefined ? {} : { reason: opts.reason });
      if (opts.json) return printJson(res);
      process.stdout.write(`quarantined ${res.endpoint}${res.quarantine.reason ? ` (${res.quarantine.reason})` : ''}; bound to ${[...res.quarantine.identities, ...res.quarantine.addresses].join(', ') || 'its name only'}\n`);
    });

  withApiOptions(program.command('release <endpoint>').description('end the quarantine of a device'))
    .option('--json', 'print JSON')
    .action(async (endpoint: string, opts: ApiCommandOptions) => {
      const res = await apiCall<{ endpoint: string }>(await resolveTarget(opts), 'DELETE', `/api/v1/devices/${enc(endpoint)}/quarantine`);
      if (opts.json) return printJson(res);
      process.stdout.write(`released ${res.endpoint}\n`);
    });

  withApiOptions(program.command('audit').description('the audit log: operator actions (by API token) and automatic ones'))
    .option('--since <time>', 'epoch ms, ISO 8601 or a duration ago (15m, 2h, 7d)')
    .option('--until <time>', 'same forms as --since')
    .option('--json', 'print JSON')
    .action(async (opts: ApiCommandOptions & { since?: string; until?: string }) => {
      const target = await resolveTarget(opts);
      const entries: AuditJson[] = [];
      let cursor: string | undefined;
      // Bounded: 1,000 pages of 1,000 entries.
      for (let i = 0; i < 1000; i++) {
        const q = new URLSearchParams({ limit: '1000' });
        if (opts.since) q.set('since', opts.since);
        if (opts.until) q.set('until', opts.until);
        if (cursor) q.set('cursor', cursor);
        const page = await apiCall<{ entries: AuditJson[]; nextCursor?: string }>(target, 'GET', `/api/v1/audit?${q}`);
        entries.push(...page.entries);
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      if (opts.json) return printJson(entries);
      printTable(
        entries.map((e) => ({ time: e.at, who: e.actor.kind === 'token' ? e.actor.name : `system:${e.actor.component}`, action: e.action, target: e.target, details: e.details ? JSON.stringify(e.details) : '' })),
        ['time', 'who', 'action', 'target', 'details'],
      );
    });

  withApiOptions(program.command('tag <endpoint> [tags...]').description('set device tags (key=value), remove one (key=), or show them (no tags given)'))
    .option('--json', 'print JSON')
    .action(async (endpoint: string, tags: string[], opts: ApiCommandOptions) => {
      const target = await resolveTarget(opts);
      const route = `/api/v1/devices/${enc(endpoint)}/tags`;
      const res = tags.length === 0 ? await apiCall<{ endpoint: string; tags: Record<string, string> }>(target, 'GET', route) : await apiCall<{ endpoint: string; tags: Record<string, string> }>(target, 'PUT', route, parseTagArgs(tags));
      if (opts.json) return printJson(res);
      if (Object.keys(res.tags).length === 0) return void process.stdout.write(`${res.endpoint}: no tags\n`);
      printRecord(res.tags);
    });
}
