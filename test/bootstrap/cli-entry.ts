// A minimal `lwm2m` entry holding only the bootstrap commands, spawned by cli.test.ts so exit
// codes, stdout and stderr are observed as a user sees them (src/cli/main.ts does the same).
import { Command } from 'commander';
import { CliError } from '../../src/cli/api-client.js';
import { registerBootstrapCommands } from '../../src/cli/commands/bootstrap.js';

const program = new Command('lwm2m').exitOverride();
registerBootstrapCommands(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CliError) {
    process.stderr.write(`lwm2m: ${e.message}\n`);
    process.exitCode = e.exitCode;
  } else process.exitCode = (e as { exitCode?: number }).exitCode ?? 1;
}
