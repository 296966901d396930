import type { Command } from 'commander';
import { apiCall, CliError, resolveTarget, type ApiTarget } from '../api-client.js';
import { withApiOptions, type ApiCommandOptions } from '../options.js';
import { printJson, printRecord, printTable } from '../output.js';
import { failureText, printReply, printValues, type OperationReply } from '../result-output.js';
import { followEvents } from '../event-client.js';
import type { OperationResult } from '../../lwm2m/management/operation.js';
import type { ObservationRecord, QueuedRequest, StoredValue } from '../../store/types.js';

interface OpOptions extends ApiCommandOptions {
  format?: string;
  timeout?: string;
  ttl?: string;
}

const enc = (path: string) => path.split('/').filter((s) => s !== '').map(encodeURIComponent).join('/');
const base = (ep: string) => `/api/v1/devices/${encodeURIComponent(ep)}`;

function query(o: OpOptions, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  if (o.format !== undefined) q.set('format', o.format);
  if (o.timeout !== undefined) q.set('timeout', o.timeout);
  if (o.ttl !== undefined) q.set('ttl', o.ttl);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Answers with non-2xx statuses still carry an OperationResult body: read it instead of failing. */
async function op(target: ApiTarget, method: string, route: string, body?: unknown): Promise<OperationReply> {
  return apiCall<OperationReply>(target, method, route, body, { acceptErrorBody: true });
}

/** Observe (POST) or cancel (DELETE) one path, or several as an Observe-Composite. */
function observeCall(t: ApiTarget, method: 'POST' | 'DELETE', ep: string, paths: string[], q: string): Promise<OperationReply> {
  return paths.length === 1 ? op(t, method, `${base(ep)}/objects/${enc(paths[0]!)}/observe${q}`) : op(t, method, `${base(ep)}/composite/observe${q}`, { paths });
}

function withOp(cmd: Command): Command {
  return withApiOptions(cmd)
    .option('--format <cf>', 'Content-Format number to ask for or write in (default: chosen per device)')
    .option('--timeout <seconds>', 'how long to wait for the device')
    .option('--ttl <seconds>', 'for a sleeping queue-mode device: how long the queued request waits (default: the server\'s --queue-ttl)')
    .option('--json', 'print JSON');
}

/** `rid=value` pairs, or one bare value. A value may be typed: `--type float` applies to all. */
function valueBody(path: string, args: string[], type: string | undefined): Record<string, unknown> {
  const typed = (v: string): unknown => (type ? { type, value: type === 'boolean' ? v === 'true' || v === '1' : ['integer', 'unsigned', 'float', 'time'].includes(type) && /^-?[\d.]+$/.test(v) ? Number(v) : v } : v);
  const depth = path.split('/').filter((s) => s !== '').length;
  const pairs = args.every((a) => /^\d+=/.test(a));
  if (depth === 2) {
    if (!pairs) throw new CliError('writing an instance takes resourceId=value pairs, e.g. 14=+02 15=Europe/Paris');
    return { resources: Object.fromEntries(args.map((a) => [a.slice(0, a.indexOf('=')), typed(a.slice(a.indexOf('=') + 1))])) };
  }
  if (depth === 3 && pairs && args.length > 0) return { values: Object.fromEntries(args.map((a) => [a.slice(0, a.indexOf('=')), typed(a.slice(a.indexOf('=') + 1))])) };
  if (args.length !== 1) throw new CliError('give one value (or instanceId=value pairs for a multiple resource)');
  return { value: typed(args[0]!) };
}

export function registerManagementCommands(program: Command): void {
  withOp(program.command('read <endpoint> <paths...>').description('read resources from a device (several paths: Read-Composite)')).action(async (ep: string, paths: string[], o: OpOptions) => {
    const t = await resolveTarget(o);
    const reply = paths.length === 1 ? await op(t, 'GET', `${base(ep)}/objects/${enc(paths[0]!)}${query(o)}`) : await op(t, 'POST', `${base(ep)}/composite/read${query(o)}`, { paths });
    printReply(reply, o.json, 'read');
  });

  withOp(program.command('write <endpoint> <path> <values...>').description('write a resource (value) or an instance (rid=value ...)'))
    .option('--update', 'partial update (POST) instead of replace (PUT)')
    .option('--type <type>', 'value type when the model does not know the resource')
    .action(async (ep: string, path: string, values: string[], o: OpOptions & { update?: boolean; type?: string }) => {
      const t = await resolveTarget(o);
      printReply(await op(t, 'PUT', `${base(ep)}/objects/${enc(path)}${query(o, { mode: o.update ? 'update' : undefined })}`, valueBody(path, values, o.type)), o.json, 'written');
    });

  withOp(program.command('write-composite <endpoint> <assignments...>').description('Write-Composite: /path=value ...')).action(async (ep: string, assignments: string[], o: OpOptions) => {
    const values: Record<string, string> = {};
    for (const a of assignments) {
      const i = a.indexOf('=');
      if (i < 1) throw new CliError(`"${a}" is not /path=value`);
      values[a.slice(0, i)] = a.slice(i + 1);
    }
    printReply(await op(await resolveTarget(o), 'POST', `${base(ep)}/composite/write${query(o)}`, { values }), o.json, 'written');
  });

  withOp(program.command('exec <endpoint> <path> [args]').description('execute a resource, with optional arguments')).action(async (ep: string, path: string, args: string | undefined, o: OpOptions) => {
    printReply(await op(await resolveTarget(o), 'POST', `${base(ep)}/objects/${enc(path)}/execute${query(o)}`, args === undefined ? {} : { args }), o.json, 'executed');
  });

  withOp(program.command('create <endpoint> <objectPath> [resources...]').description('create an object instance: rid=value ...'))
    .option('--id <instanceId>', 'instance id (default: the device chooses)')
    .option('--type <type>', 'value type when the model does not know the resource')
    .action(async (ep: string, path: string, resources: string[], o: OpOptions & { id?: string; type?: string }) => {
      const body = resources.length > 0 ? valueBody(`${path}/0`, resources, o.type) : { resources: {} };
      if (o.id !== undefined) {
        if (!/^\d{1,5}$/.test(o.id)) throw new CliError('--id must be an instance id');
        body.id = Number(o.id);
      }
      printReply(await op(await resolveTarget(o), 'POST', `${base(ep)}/objects/${enc(path)}${query(o)}`, body), o.json, 'created');
    });

  withOp(program.command('delete <endpoint> <path>').description('delete an object instance')).action(async (ep: string, path: string, o: OpOptions) => {
    printReply(await op(await resolveTarget(o), 'DELETE', `${base(ep)}/objects/${enc(path)}${query(o)}`), o.json, 'deleted');
  });

  withOp(program.command('discover <endpoint> <path>').description('discover the resources and attributes under a path')).action(async (ep: string, path: string, o: OpOptions) => {
    printReply(await op(await resolveTarget(o), 'GET', `${base(ep)}/objects/${enc(path)}/discover${query(o)}`), o.json, 'discovered');
  });

  withOp(program.command('attributes <endpoint> <path> <attributes...>').description('write attributes: pmin=10 pmax=60 gt=25 (pmin= removes)')).action(async (ep: string, path: string, attrs: string[], o: OpOptions) => {
    const body: Record<string, number | null> = {};
    for (const a of attrs) {
      const m = /^([a-z]+)=(.*)$/.exec(a);
      if (!m) throw new CliError(`"${a}" is not name=value`);
      const v = m[2] === '' ? null : Number(m[2]);
      if (v !== null && !Number.isFinite(v)) throw new CliError(`attribute ${m[1]} needs a number`);
      body[m[1]!] = v;
    }
    printReply(await op(await resolveTarget(o), 'PUT', `${base(ep)}/objects/${enc(path)}/attributes${query(o)}`, body), o.json, 'attributes written');
  });

  withOp(program.command('observe <endpoint> <paths...>').description('observe a path (several: Observe-Composite) and print notifications until Ctrl-C or --count'))
    .option('--count <n>', 'stop after n notifications (the first response counts)')
    .action(async (ep: string, paths: string[], o: OpOptions & { count?: string }) => {
      const count = o.count === undefined ? Infinity : Number(o.count);
      if (!(count >= 1)) throw new CliError('--count must be a positive number');
      const t = await resolveTarget(o);
      const stream = followEvents(t, { ep, type: 'notification' });
      try {
        const reply = await observeCall(t, 'POST', ep, paths, query(o));
        if ('queued' in reply) return printReply(reply, o.json, '');
        if (!reply.ok) return printReply(reply, o.json, '');
        let seen = 0;
        const show = (values: unknown) => (o.json ? printJson(values) : printValues(values as Parameters<typeof printValues>[0]));
        show(reply.values ?? []);
        if (++seen >= count) return;
        for await (const ev of stream.events()) {
          const data = ev.data as { token?: string; values?: unknown; sequence?: number };
          if (data.token !== reply.token) continue;
          // The first response is also streamed as a notification event: it was printed already.
          if (reply.sequence !== undefined && data.sequence === reply.sequence) continue;
          show(data.values);
          if (++seen >= count) return;
        }
      } finally {
        stream.close();
      }
    });

  deviceListCommand<ObservationRecord>(program, 'observations', 'the observations the server holds on a device (they outlive the CLI that made them)', {
    columns: ['paths', 'composite', 'format', 'token', 'since'],
    row: (r) => ({ paths: r.paths.join(','), composite: r.composite ? 'yes' : '', format: r.accept, token: r.token, since: new Date(r.createdAt).toISOString() }),
  });

  withOp(program.command('cancel <endpoint> <paths...>').description('cancel an observation (several paths: an Observe-Composite)'))
    .option('--passive', 'forget it; the device is reset on its next notification')
    .action(async (ep: string, paths: string[], o: OpOptions & { passive?: boolean }) => {
      printReply(await observeCall(await resolveTarget(o), 'DELETE', ep, paths, query(o, { mode: o.passive ? 'passive' : undefined })), o.json, 'cancelled');
    });

  withApiOptions(program.command('values <endpoint> [path]').description('values stored for a device (latest, or --history of one path)'))
    .option('--history', 'history of the path, newest first')
    .option('--since <time>', 'history since: epoch ms, ISO 8601 or a duration ago (15m, 2h, 7d)')
    .option('--until <time>', 'history until (same forms)')
    .option('--limit <n>', 'history entries at most')
    .option('--json', 'print JSON')
    .action(async (ep: string, path: string | undefined, o: ApiCommandOptions & { history?: boolean; since?: string; until?: string; limit?: string }) => {
      const t = await resolveTarget(o);
      if (o.history) {
        if (!path) throw new CliError('--history needs a path');
        const q = new URLSearchParams();
        if (o.since) q.set('since', o.since);
        if (o.until) q.set('until', o.until);
        if (o.limit) q.set('limit', o.limit);
        const res = await apiCall<{ history: StoredValue[] }>(t, 'GET', `${base(ep)}/values/${enc(path)}/history${q.size ? `?${q}` : ''}`);
        return o.json ? printJson(res.history) : printStored(res.history);
      }
      const res = await apiCall<{ values: StoredValue[] }>(t, 'GET', `${base(ep)}/values${path ? `/${enc(path)}` : ''}`);
      return o.json ? printJson(res.values) : printStored(res.values);
    });

  withApiOptions(program.command('request <id>').description('a queued request and its result (--cancel: withdraw it while it waits)'))
    .option('--cancel', 'cancel the request if it still waits for its device')
    .option('--json', 'print JSON')
    .action(async (id: string, o: ApiCommandOptions & { cancel?: boolean }) => {
      const t = await resolveTarget(o);
      const route = `/api/v1/requests/${encodeURIComponent(id)}`;
      if (!o.cancel) {
        const r = await apiCall<QueuedRequest>(t, 'GET', route);
        return o.json ? printJson(r) : printRequest(r);
      }
      const { cancelled } = await apiCall<{ cancelled: QueuedRequest }>(t, 'DELETE', route);
      if (o.json) printJson(cancelled);
      else process.stdout.write(`cancelled request ${cancelled.id} (${cancelled.operation} for ${cancelled.endpoint})\n`);
    });

  deviceListCommand<QueuedRequest>(program, 'requests', "a device's requests waiting for it to wake, in delivery order", {
    columns: ['id', 'seq', 'operation', 'path', 'created', 'expires'],
    row: (r) => ({ id: r.id, seq: r.seq, operation: r.operation, path: requestPaths(r), created: new Date(r.createdAt).toISOString(), expires: new Date(r.expiresAt).toISOString() }),
  });
}

/**
 * `lwm2m <name> <endpoint> [--json]`: GET /api/v1/devices/{ep}/<name>, whose answer lists the
 * records under the same name, as a table (or JSON).
 */
function deviceListCommand<T>(program: Command, name: string, description: string, table: { columns: string[]; row: (r: T) => Record<string, string | number | undefined> }): void {
  withApiOptions(program.command(`${name} <endpoint>`).description(description))
    .option('--json', 'print JSON')
    .action(async (ep: string, o: ApiCommandOptions) => {
      const list = (await apiCall<Record<string, T[]>>(await resolveTarget(o), 'GET', `${base(ep)}/${name}`))[name] ?? [];
      if (o.json) printJson(list);
      else printTable(list.map(table.row), table.columns);
    });
}

/** A queued request for people: what, for whom, where it stands; then its result. */
function printRequest(r: QueuedRequest): void {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const result = r.result as OperationResult | undefined;
  printRecord({
    id: r.id,
    endpoint: r.endpoint,
    operation: r.operation,
    path: requestPaths(r),
    status: r.status,
    created: iso(r.createdAt),
    updated: iso(r.updatedAt),
    ...(r.status === 'pending' ? { expires: iso(r.expiresAt) } : {}),
    ...(result ? { result: result.ok ? (result.code ?? 'ok') : failureText(result) } : {}),
  });
  if (result?.ok && result.values && result.values.length > 0) {
    process.stdout.write('\n');
    printValues(result.values);
  }
}

/** The path (or paths, composite) a queued request is for. */
function requestPaths(r: QueuedRequest): string {
  const a = r.args as { path?: unknown; paths?: unknown; values?: unknown };
  if (typeof a.path === 'string') return a.path;
  // Composite: read and observe name paths, Write-Composite names them in its values.
  const list: unknown[] = Array.isArray(a.paths) ? a.paths : Array.isArray(a.values) ? a.values.map((v: { path?: unknown }) => v.path) : [];
  return list.filter((p): p is string => typeof p === 'string').join(',');
}

function printStored(values: StoredValue[]): void {
  printValues(values.map((v) => ({ path: v.path, value: v.value, time: v.time })));
}
