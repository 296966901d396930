// A minimal `lwm2m` entry holding only the objects commands, spawned by objects-cli.test.ts
// so exit codes and stderr are observed exactly as a user would see them.
import { Command } from 'commander';
import { registerObjectsCommands } from '../../src/cli/commands/objects.js';

const program = new Command('lwm2m');
registerObjectsCommands(program);
await program.parseAsync(process.argv);
