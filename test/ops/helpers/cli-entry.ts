/** The operations CLI commands in a program of their own, run as a child process by cli.test.ts. */
import { Command } from 'commander';
import { CliError } from '../../../src/cli/api-client.js';
import { registerEventsCommand } from '../../../src/cli/commands/events.js';
import { registerFleetCommands } from '../../../src/cli/commands/fleet.js';
import { registerOpsCommands } from '../../../src/cli/commands/ops.js';
import { registerTokenCommands } from '../../../src/cli/commands/tokens.js';

const program = new Command('lwm2m').exitOverride();
registerOpsCommands(program);
registerTokenCommands(program);
registerEventsCommand(program);
registerFleetCommands(program);
program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`lwm2m: ${(e as Error).message}\n`);
  process.exitCode = e instanceof CliError ? e.exitCode : 1;
});
