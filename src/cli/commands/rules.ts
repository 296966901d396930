import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { RuleJson } from '../../rules/rule-service.js';
import { apiCall, CliError, resolveTarget } from '../api-client.js';
import { withApiOptions, type ApiCommandOptions } from '../options.js';
import { printJson, printRecord, printTable } from '../output.js';

const route = (name: string) => `/api/v1/rules/${encodeURIComponent(name)}`;

interface AddOptions extends ApiCommandOptions {
  file?: string;
  when?: string;
  if?: string;
  then: string[];
  for?: string;
  rate?: string;
  dryRun?: boolean;
  disabled?: boolean;
}

/** A plain value from the command line: JSON when it parses (true, 21.5, "x"), else the text. */
export function cliValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * One `--then` action: JSON (`{"write": "...", "value": true}`) or a short form:
 *   write <devices>:<path>=<value>     execute <devices>:<path> [args]     webhook <url>
 */
export function parseThen(text: string): Record<string, unknown> {
  const t = text.trim();
  if (t.startsWith('{')) {
    const v = cliValue(t);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new CliError(`--then "${text}" is not a JSON object`);
    return v as Record<string, unknown>;
  }
  const write = /^write\s+(.+:\/[\d/]+)=(.*)$/.exec(t);
  if (write) return { write: write[1], value: cliValue(write[2]!) };
  const exec = /^execute\s+(\S+:\/[\d/]+)(?:\s+(.+))?$/.exec(t);
  if (exec) return exec[2] === undefined ? { execute: exec[1] } : { execute: exec[1], args: exec[2] };
  const hook = /^webhook\s+(\S+)$/.exec(t);
  if (hook) return { webhook: hook[1] };
  throw new CliError(`--then "${text}": give JSON, "write <devices>:<path>=<value>", "execute <devices>:<path> [args]" or "webhook <url>"`);
}

async function ruleFromOptions(o: AddOptions): Promise<Record<string, unknown>> {
  if (o.file !== undefined) {
    if (o.when !== undefined || o.then.length > 0) throw new CliError('give either --file or --when/--then, not both');
    let text: string;
    try {
      text = await readFile(o.file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${o.file}: ${(e as Error).message}`);
    }
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new CliError(`${o.file} is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (o.when === undefined || o.then.length === 0) throw new CliError('give --file rule.json, or --when and at least one --then');
  const rule: Record<string, unknown> = { when: o.when, then: o.then.map(parseThen) };
  if (o.if !== undefined) rule.if = o.if;
  if (o.for !== undefined) rule.for = o.for;
  if (o.rate !== undefined) rule.rate = o.rate;
  return rule;
}

function summary(r: RuleJson): Record<string, string | number | boolean | undefined> {
  return {
    name: r.name,
    enabled: r.enabled,
    dry_run: r.dryRun,
    when: r.spec.when,
    if: r.spec.if ?? '',
    actions: r.spec.then.length,
    firings: r.stats.firings,
    last_fired: r.stats.lastFiredAt === undefined ? '' : new Date(r.stats.lastFiredAt).toISOString(),
  };
}

export function registerRulesCommands(program: Command): void {
  const rules = program.command('rules').description('automation rules: when a device reports something, act on other devices');

  withApiOptions(rules.command('add <name>').description('add or replace a rule'))
    .option('--file <file>', 'the rule as a JSON file')
    .option('--when <trigger>', 'e.g. "presence-*:/3302/*/5500" or "registered:lamp-*"')
    .option('--if <condition>', 'e.g. "value == true", "crosses(25, 1)", "value > 30 for 5m"')
    .option('--then <action>', 'repeatable: JSON, "write <devices>:<path>=<value>", "execute <devices>:<path> [args]", "webhook <url>"', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--for <duration>', 'debounce, e.g. 30s')
    .option('--rate <rate>', 'most firings, e.g. 10/min')
    .option('--dry-run', 'only log what the rule would do')
    .option('--disabled', 'add it disabled')
    .option('--json', 'print JSON')
    .action(async (name: string, o: AddOptions) => {
      const body: Record<string, unknown> = { ...(await ruleFromOptions(o)) };
      if (o.dryRun) body.dryRun = true;
      if (o.disabled) body.enabled = false;
      const r = await apiCall<RuleJson>(await resolveTarget(o), 'PUT', route(name), body);
      if (o.json) return printJson(r);
      process.stdout.write(`rule ${r.name} saved (${r.enabled ? 'enabled' : 'disabled'}${r.dryRun ? ', dry run' : ''})\n`);
    });

  withApiOptions(rules.command('list').description('list rules'))
    .option('--json', 'print JSON')
    .action(async (o: ApiCommandOptions) => {
      const { rules: list } = await apiCall<{ rules: RuleJson[] }>(await resolveTarget(o), 'GET', '/api/v1/rules');
      if (o.json) return printJson(list);
      printTable(list.map(summary), ['name', 'enabled', 'dry_run', 'when', 'if', 'actions', 'firings', 'last_fired']);
    });

  withApiOptions(rules.command('show <name>').description('show one rule'))
    .option('--json', 'print JSON')
    .action(async (name: string, o: ApiCommandOptions) => {
      const r = await apiCall<RuleJson>(await resolveTarget(o), 'GET', route(name));
      if (o.json) return printJson(r);
      printRecord({ ...summary(r), rule: r.spec, stats: r.stats });
    });

  for (const verb of ['enable', 'disable'] as const) {
    withApiOptions(rules.command(`${verb} <name>`).description(`${verb} a rule`))
      .option('--json', 'print JSON')
      .action(async (name: string, o: ApiCommandOptions) => {
        const r = await apiCall<RuleJson>(await resolveTarget(o), 'POST', `${route(name)}/${verb}`);
        if (o.json) return printJson(r);
        process.stdout.write(`rule ${r.name} ${r.enabled ? 'enabled' : 'disabled'}\n`);
      });
  }

  withApiOptions(rules.command('remove <name>').description('remove a rule'))
    .option('--json', 'print JSON')
    .action(async (name: string, o: ApiCommandOptions) => {
      const r = await apiCall<{ removed: RuleJson }>(await resolveTarget(o), 'DELETE', route(name));
      if (o.json) return printJson(r);
      process.stdout.write(`rule ${r.removed.name} removed\n`);
    });

  withApiOptions(rules.command('test <name>').description('dry run: what the rule would do with this value (nothing is sent)'))
    .requiredOption('--value <value>', 'the reported value (JSON or text)')
    .option('--endpoint <ep>', 'the device the value comes from')
    .option('--path <path>', 'the path it is reported for')
    .option('--json', 'print JSON')
    .action(async (name: string, o: ApiCommandOptions & { value: string; endpoint?: string; path?: string }) => {
      const body: Record<string, unknown> = { value: cliValue(o.value) };
      if (o.endpoint !== undefined) body.endpoint = o.endpoint;
      if (o.path !== undefined) body.path = o.path;
      const r = await apiCall<{ matched: boolean; condition: boolean; inWindow: boolean; debounceMs?: number; actions: { kind: string; target: string; path?: string; status: string; reason?: string; operation?: unknown }[] }>(await resolveTarget(o), 'POST', `${route(name)}/test`, body);
      if (o.json) return printJson(r);
      const fires = r.matched && r.condition && r.inWindow;
      process.stdout.write(`matched ${r.matched}, condition ${r.condition}, in window ${r.inWindow}${r.debounceMs ? `, after holding ${r.debounceMs} ms` : ''}: ${fires ? 'would fire' : 'would not fire'}\n`);
      printTable(r.actions.map((a) => ({ action: a.kind, target: a.target, path: a.path, status: a.status, detail: a.reason ?? (a.operation ? JSON.stringify(a.operation) : '') })), ['action', 'target', 'path', 'status', 'detail']);
    });
}
