/**
 * `lwm2m objects import <file.xml|dir> [--out DIR]` and `lwm2m objects list [--dir DIR] [--json]`.
 * Errors print one line on stderr and set a non-zero exit code; no stack traces.
 */
import type { Command } from 'commander';
import { isLwm2mError } from '../../errors.js';
import { importObjects } from '../../model/import.js';
import { ModelRegistry } from '../../model/registry.js';
import { ProgressBar } from './fleet-progress.js';

interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Commander's output hooks, so tests (and the lead's main) can capture what is printed. */
function output(cmd: Command): Output {
  const config = cmd.configureOutput();
  const out = config.writeOut ?? ((s: string) => process.stdout.write(s));
  const err = config.writeErr ?? ((s: string) => process.stderr.write(s));
  return { out: (line) => out(`${line}\n`), err: (line) => err(`${line}\n`) };
}

function fail(io: Output, e: unknown): void {
  const message = isLwm2mError(e) ? `${e.code}: ${e.message}` : `error: ${e instanceof Error ? e.message : String(e)}`;
  io.err(message.split('\n')[0] ?? message);
  process.exitCode = 1;
}

export function registerObjectsCommands(program: Command): void {
  const objects = program.command('objects').description('object models: import OMA DDF XML, list known objects');

  objects
    .command('import')
    .description('convert DDF XML object definitions (a file or a folder, recursively) to objects/<id>-<version>.json')
    .argument('<source>', 'a DDF .xml file or a folder of them')
    .option('--out <dir>', 'folder to write the JSON models to', 'objects')
    .option('--verbose', 'name every skipped file (duplicates, index files, schemas) and why')
    .option('--json', 'print JSON: the files written and skipped')
    .action(async (source: string, opts: { out: string; verbose?: boolean; json?: boolean }, cmd: Command) => {
      const io = output(cmd);
      try {
        const bar = new ProgressBar('reading object definitions');
        const { written, skipped } = await importObjects(source, opts.out, (done, total) => {
          bar.total = total;
          bar.tick();
        });
        bar.finish();
        if (opts.json === true) {
          io.out(JSON.stringify({ written, skipped }, null, 2));
          return;
        }
        io.out(`wrote ${written.length} object model file(s) to ${opts.out}`);
        if (opts.verbose === true) for (const s of skipped) io.out(`skipped ${s.file}: ${s.reason}`);
        else if (skipped.length > 0) io.out(`skipped ${skipped.length} file(s) that hold no new object definition (--verbose lists them)`);
      } catch (e) {
        fail(io, e);
      }
    });

  objects
    .command('list')
    .description('list object models: id, name, versions (built-in objects unless --dir is given)')
    .option('--dir <dir>', 'folder of .json or .xml models to list instead of the built-in ones')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { dir?: string; json?: boolean }, cmd: Command) => {
      const io = output(cmd);
      try {
        const registry = opts.dir === undefined ? await ModelRegistry.builtin() : await ModelRegistry.fromDirectory(opts.dir);
        const rows = registry.list();
        if (opts.json === true) {
          io.out(JSON.stringify(rows, null, 2));
          return;
        }
        const idWidth = Math.max(2, ...rows.map((r) => String(r.id).length));
        io.out(`${'ID'.padStart(idWidth)}  VERSIONS         NAME`);
        for (const r of rows) io.out(`${String(r.id).padStart(idWidth)}  ${r.versions.join(',').padEnd(15)}  ${r.name}`);
      } catch (e) {
        fail(io, e);
      }
    });
}
