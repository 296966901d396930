/**
 * The `lwm2m` CLI with only the security commands, run the way src/cli/main.ts runs the real
 * one (one line on stderr, non-zero exit), until the lead wires them into main.ts.
 */
import { Command, CommanderError } from 'commander';
import { isLwm2mError } from '../../../src/errors.js';
import { CliError } from '../../../src/cli/api-client.js';
import { registerSecurityCommands } from '../../../src/cli/commands/security.js';

const program = new Command('lwm2m').exitOverride();
registerSecurityCommands(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode;
  else {
    const message = e instanceof CliError || isLwm2mError(e) ? e.message : `unexpected error: ${(e as Error).message}`;
    process.stderr.write(`lwm2m: ${message}\n`);
    process.exitCode = 1;
  }
}
