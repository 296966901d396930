import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, hostname, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/**
 * Runs every benchmark (bench/run.js, in a child process, its tables printed as they come) and
 * writes bench/RESULTS.md: machine, date, command, then the tables. Arguments are passed on
 * (a name filter, as for run.js). Bounded: the whole suite must finish in 10 minutes.
 */
const LIMIT_MS = 10 * 60 * 1000;
const runJs = fileURLToPath(new URL('./run.js', import.meta.url));
const out = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));
const args = process.argv.slice(2);
const started = Date.now();

const child = spawn(process.execPath, [runJs, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
let text = '';
child.stdout.on('data', (d: Buffer) => {
  process.stdout.write(d);
  text += d.toString();
});
const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
clearTimeout(timer);
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const cpu = cpus();
const header = [
  '# Benchmark results',
  '',
  `- machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM, ${platform()} ${release()} (${hostname()})`,
  `- node: ${process.version}`,
  `- date: ${new Date(started).toISOString()}`,
  `- command: \`npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}\` (node dist/bench/results.js)`,
  `- suite time: ${minutes} min${code === 0 ? '' : `; the suite did NOT finish cleanly (exit ${code ?? 'killed'})`}`,
  '',
];
// run.js prints its own "# ..." title line: keep the tables from the first "## ".
const body = text.slice(Math.max(0, text.indexOf('## ')));
await writeFile(out, `${header.join('\n')}\n${body}`);
process.stdout.write(`\nwrote ${out} (${minutes} min)\n`);
process.exitCode = code === 0 ? 0 : 1;
