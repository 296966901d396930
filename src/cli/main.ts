import { Command, CommanderError } from 'commander';
import { isLwm2mError } from '../errors.js';
import { CliError } from './api-client.js';
import { registerBootstrapCommands } from './commands/bootstrap.js';
import { registerDeviceCommands } from './commands/devices.js';
import { registerEventsCommand } from './commands/events.js';
import { registerFleetCommands } from './commands/fleet.js';
import { registerOpsCommands } from './commands/ops.js';
import { registerRulesCommands } from './commands/rules.js';
import { registerTokenCommands } from './commands/tokens.js';
import { registerManagementCommands } from './commands/manage.js';
import { registerObjectsCommands } from './commands/objects.js';
import { registerSecurityCommands } from './commands/security.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSimulateCommand } from './commands/simulate.js';

export function buildProgram(): Command {
  const program = new Command('lwm2m')
    .description('LwM2M server for constrained devices: run it, and manage it through its API')
    .showHelpAfterError('(run "lwm2m --help" for usage)');
  registerServeCommand(program);
  registerDeviceCommands(program);
  registerManagementCommands(program);
  registerObjectsCommands(program);
  registerSecurityCommands(program);
  registerBootstrapCommands(program);
  registerOpsCommands(program);
  registerTokenCommands(program);
  registerEventsCommand(program);
  registerFleetCommands(program);
  registerRulesCommands(program);
  registerSimulateCommand(program);
  return program;
}

/** Runs the CLI; every failure is one line on stderr and a non-zero exit code. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message (or the help/version text).
      process.exitCode = e.exitCode;
      return;
    }
    const message = e instanceof CliError || isLwm2mError(e) ? e.message : `unexpected error: ${(e as Error).message ?? String(e)}`;
    process.stderr.write(`lwm2m: ${message}\n`);
    process.exitCode = e instanceof CliError ? e.exitCode : 1;
  }
}
