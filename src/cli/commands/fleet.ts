import { InvalidArgumentError, type Command } from 'commander';
import { apiCall, resolveTarget, type ApiTarget } from '../api-client.js';
import { withApiOptions, type ApiCommandOptions } from '../options.js';
import { printJson, printTable } from '../output.js';
import { ProgressBar } from './fleet-progress.js';

const enc = encodeURIComponent;

interface FleetOptions extends ApiCommandOptions {
  ep?: string;
  status?: string;
  tag?: string[];
  object?: string;
}

interface FleetDevice {
  endpoint: string;
  status: string;
  tags: Record<string, string>;
  lwm2mVersion?: string;
  address?: string;
  lastUpdate?: string;
  quarantine?: { reason: string };
}

interface StoredValueJson {
  endpoint: string;
  path: string;
  value: { type: string; value: unknown };
  time: number;
}

function collect(value: string, previous: string[] = []): string[] {
  if (!value.includes('=')) throw new InvalidArgumentError('must be key=value.');
  return [...previous, value];
}

/** `--ep`, `--status`, `--tag` (repeatable), `--object`: the device filters of the fleet routes. */
function withFilters(cmd: Command): Command {
  return cmd
    .option('--ep <name|prefix*>', 'endpoint name or prefix followed by *')
    .option('--status <list>', 'online, sleeping, quarantined, offline (comma-separated)')
    .option('--tag <key=value>', 'only devices with this tag (repeatable)', collect)
    .option('--object <id>', 'only devices announcing this object');
}

function filterQuery(o: FleetOptions, extra: Record<string, string | undefined> = {}): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ep: o.ep, status: o.status, object: o.object, ...extra })) if (v !== undefined) q.set(k, v);
  for (const t of o.tag ?? []) q.append('tag', t);
  return q;
}

/** Follows nextCursor until the end; `onPage` sees each page (for progress). */
export async function* pages<T>(target: ApiTarget, route: string, q: URLSearchParams, key: string, maxPages = 100_000): AsyncGenerator<{ items: T[]; total?: number }> {
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    if (cursor) q.set('cursor', cursor);
    const page = await apiCall<Record<string, unknown> & { nextCursor?: string; total?: number }>(target, 'GET', `${route}?${q}`);
    yield { items: (page[key] as T[]) ?? [], ...(page.total !== undefined ? { total: page.total } : {}) };
    cursor = page.nextCursor;
    if (!cursor) return;
  }
}

function valueText(v: { type: string; value: unknown }): string {
  return typeof v.value === 'string' ? v.value : JSON.stringify(v.value);
}

export function registerFleetCommands(program: Command): void {
  withFilters(withApiOptions(program.command('fleet').description('list devices page by page, with filters (registered and quarantined)')))
    .option('--sort <field>', 'endpoint, registeredAt, lastUpdate, expiresAt; prefix - for descending', 'endpoint')
    .option('--json', 'print JSON')
    .action(async (opts: FleetOptions & { sort: string }) => {
      const target = await resolveTarget(opts);
      const bar = new ProgressBar('devices');
      const all: FleetDevice[] = [];
      for await (const page of pages<FleetDevice>(target, '/api/v1/devices', filterQuery(opts, { sort: opts.sort, limit: '1000' }), 'devices')) {
        bar.total = page.total;
        all.push(...page.items);
        bar.tick(page.items.length);
      }
      bar.finish();
      if (opts.json) return printJson(all);
      printTable(
        all.map((d) => ({ endpoint: d.endpoint, status: d.status, lwm2m: d.lwm2mVersion, address: d.address, 'last update': d.lastUpdate, tags: Object.entries(d.tags).map(([k, v]) => `${k}=${v}`).join(' '), reason: d.quarantine?.reason })),
        ['endpoint', 'status', 'lwm2m', 'address', 'last update', 'tags', 'reason'],
      );
    });

  withFilters(withApiOptions(program.command('query <pathPattern>').description('latest stored value of a resource on every matching device, e.g. /3303/*/5700')))
    .option('--history', 'the history over --since/--until instead of the latest value')
    .option('--since <time>', 'epoch ms, ISO 8601 or a duration ago (15m, 2h, 7d)')
    .option('--until <time>', 'same forms as --since')
    .option('--json', 'print JSON')
    .action(async (pattern: string, opts: FleetOptions & { history?: boolean; since?: string; until?: string }) => {
      const target = await resolveTarget(opts);
      const q = filterQuery(opts, { path: pattern, limit: '1000', since: opts.since, until: opts.until });
      const bar = new ProgressBar(opts.history ? 'series' : 'values');
      if (opts.history) {
        const series: { endpoint: string; path: string; values: { value: { type: string; value: unknown }; time: number }[] }[] = [];
        for await (const page of pages<(typeof series)[number]>(target, '/api/v1/values/history', q, 'series')) {
          series.push(...page.items);
          bar.tick(page.items.length);
        }
        bar.finish();
        if (opts.json) return printJson(series);
        return printTable(
          series.flatMap((s) => s.values.map((v) => ({ endpoint: s.endpoint, path: s.path, value: valueText(v.value), time: new Date(v.time).toISOString() }))),
          ['endpoint', 'path', 'value', 'time'],
        );
      }
      const values: StoredValueJson[] = [];
      for await (const page of pages<StoredValueJson>(target, '/api/v1/values', q, 'values')) {
        values.push(...page.items);
        bar.tick(page.items.length);
      }
      bar.finish();
      if (opts.json) return printJson(values);
      printTable(values.map((v) => ({ endpoint: v.endpoint, path: v.path, value: valueText(v.value), time: new Date(v.time).toISOString() })), ['endpoint', 'path', 'value', 'time']);
    });

  withFilters(withApiOptions(program.command('group-read <path>').description('read a path on every matching device (a bulk read across a group)')))
    .option('--concurrency <n>', 'devices asked at once', '8')
    .option('--json', 'print JSON')
    .action(async (path: string, opts: FleetOptions & { concurrency: string }) => {
      const target = await resolveTarget(opts);
      const n = Number(opts.concurrency);
      if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('--concurrency must be 1..256');
      const devices: string[] = [];
      for await (const page of pages<FleetDevice>(target, '/api/v1/devices', filterQuery(opts, { limit: '1000' }), 'devices')) devices.push(...page.items.filter((d) => d.status !== 'quarantined').map((d) => d.endpoint));
      const bar = new ProgressBar(`read ${path}`, devices.length);
      const results: { endpoint: string; ok: boolean; code?: string; values?: { path: string; value: { type: string; value: unknown } }[]; queued?: boolean; error?: { code: string } }[] = [];
      let next = 0;
      const worker = async () => {
        while (next < devices.length) {
          const ep = devices[next++]!;
          const r = await apiCall<{ ok?: boolean; code?: string; queued?: boolean; values?: []; error?: { code: string } }>(target, 'GET', `/api/v1/devices/${enc(ep)}/objects/${path.split('/').filter(Boolean).map(enc).join('/')}`, undefined, { acceptErrorBody: true }).catch((e: Error) => ({ ok: false, error: { code: e.message } }));
          results.push({ endpoint: ep, ok: r.ok === true, ...r });
          bar.tick();
        }
      };
      await Promise.all(Array.from({ length: Math.min(n, devices.length) }, worker));
      bar.finish();
      results.sort((a, b) => (a.endpoint < b.endpoint ? -1 : 1));
      if (opts.json) return printJson(results);
      printTable(
        results.map((r) => ({ endpoint: r.endpoint, result: r.queued ? 'queued' : r.ok ? r.code : r.error?.code ?? r.code, value: (r.values ?? []).map((v) => `${v.path}=${valueText(v.value)}`).join(' ') })),
        ['endpoint', 'result', 'value'],
      );
    });
}
