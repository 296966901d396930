import type { Command } from 'commander';
import { apiCall, resolveTarget } from '../api-client.js';
import { withApiOptions, type ApiCommandOptions } from '../options.js';
import { printJson, printTable } from '../output.js';

interface TokenJson {
  id: string;
  name: string;
  readOnly: boolean;
  createdAt: string;
}

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('API tokens: create, list, revoke (the admin token in <data>/admin.token always works)');

  withApiOptions(token.command('create').description('create a token; its secret is printed once'))
    .requiredOption('--name <name>', 'who or what uses it (shown in the audit log)')
    .option('--read-only', 'may read (GET) but not act')
    .option('--json', 'print JSON')
    .action(async (opts: ApiCommandOptions & { name: string; readOnly?: boolean }) => {
      const res = await apiCall<TokenJson & { token: string }>(await resolveTarget(opts), 'POST', '/api/v1/tokens', { name: opts.name, readOnly: opts.readOnly === true });
      if (opts.json) return printJson(res);
      process.stdout.write(`created ${res.readOnly ? 'read-only ' : ''}token "${res.name}" (id ${res.id}); keep the secret, it is not shown again:\n${res.token}\n`);
    });

  withApiOptions(token.command('list').description('list tokens (never their secrets)'))
    .option('--json', 'print JSON')
    .action(async (opts: ApiCommandOptions) => {
      const { tokens } = await apiCall<{ tokens: TokenJson[] }>(await resolveTarget(opts), 'GET', '/api/v1/tokens');
      if (opts.json) return printJson(tokens);
      printTable(tokens.map((k) => ({ id: k.id, name: k.name, access: k.readOnly ? 'read-only' : 'full', created: k.createdAt })), ['id', 'name', 'access', 'created']);
    });

  withApiOptions(token.command('revoke <idOrName>').description('revoke a token at once'))
    .option('--json', 'print JSON')
    .action(async (idOrName: string, opts: ApiCommandOptions) => {
      const res = await apiCall<{ revoked: TokenJson }>(await resolveTarget(opts), 'DELETE', `/api/v1/tokens/${encodeURIComponent(idOrName)}`);
      if (opts.json) return printJson(res);
      process.stdout.write(`revoked token "${res.revoked.name}" (${res.revoked.id})\n`);
    });
}
