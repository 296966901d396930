import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile, copyFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedDir } from '../helpers/paths.js';

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'objects-cli-entry.js');
const omaDir = path.join(sharedDir, 'oma-objects');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function lwm2m(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [entry, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function tempDir(t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lwm2m-objects-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('objects import converts a folder of DDF XML into one JSON file per object version', async (t) => {
  const dir = await tempDir(t);
  const src = path.join(dir, 'src');
  await mkdir(path.join(src, 'version_history'), { recursive: true });
  for (const f of ['3.xml', 'DDF.xml', 'LWM2M.xsd', 'version_history/3-1_0.xml', 'version_history/3-1_1.xml', 'version_history/3-1_2.xml']) {
    await copyFile(path.join(omaDir, f), path.join(src, f));
  }
  const out = path.join(dir, 'out');
  const run = await lwm2m(['objects', 'import', src, '--out', out, '--verbose']);
  t.is(run.code, 0, run.stderr);
  t.is(run.stderr, '');
  t.regex(run.stdout, /wrote 3 object model file\(s\)/);
  t.regex(run.stdout, /skipped .*DDF\.xml: registry index/);
  t.regex(run.stdout, /skipped .*LWM2M\.xsd: XML schema/);
  t.regex(run.stdout, /skipped .*3-1_2\.xml: object 3 version 1\.2 already read from .*3\.xml/);
  t.deepEqual((await readdir(out)).sort(), ['3-1.0.json', '3-1.1.json', '3-1.2.json']);
  const device = JSON.parse(await readFile(path.join(out, '3-1.0.json'), 'utf8')) as { version: string; resources: unknown[] };
  t.is(device.version, '1.0');
  t.is(device.resources.length, 23);
});

test('objects import of a single file works and defaults to an objects/ folder under the working directory', async (t) => {
  const dir = await tempDir(t);
  const run = await new Promise<Run>((resolve) => {
    execFile(process.execPath, [entry, 'objects', 'import', path.join(omaDir, '3303.xml')], { cwd: dir, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
    );
  });
  t.is(run.code, 0, run.stderr);
  t.deepEqual(await readdir(path.join(dir, 'objects')), ['3303-1.1.json']);
});

test('objects import of broken XML prints one error line naming the file and exits non-zero', async (t) => {
  const dir = await tempDir(t);
  const bad = path.join(dir, 'broken.xml');
  await writeFile(bad, '<LWM2M><Object><ObjectID>5</Object></LWM2M>');
  const run = await lwm2m(['objects', 'import', bad, '--out', path.join(dir, 'out')]);
  t.is(run.code, 1);
  t.is(run.stderr.trim().split('\n').length, 1);
  t.true(run.stderr.startsWith(`LWM2M_ERR_MODEL: ${bad}: not well-formed XML`), run.stderr);
  t.false(run.stderr.includes('    at '), 'no stack trace');
  await t.throwsAsync(readdir(path.join(dir, 'out')), { code: 'ENOENT' });
});

test('objects list prints the built-in objects as a table and as JSON', async (t) => {
  const table = await lwm2m(['objects', 'list']);
  t.is(table.code, 0, table.stderr);
  const lines = table.stdout.trim().split('\n');
  t.is(lines.length, 1 + 327);
  t.regex(lines[0]!, /ID\s+VERSIONS\s+NAME/);
  t.true(lines.some((l) => /^\s*3\s+1\.0,1\.1,1\.2\s+Device$/.test(l)));

  const json = await lwm2m(['objects', 'list', '--json']);
  t.is(json.code, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as { id: number; name: string; versions: string[] }[];
  t.is(rows.length, 327);
  t.deepEqual(rows.find((r) => r.id === 4), { id: 4, name: 'Connectivity Monitoring', versions: ['1.0', '1.1', '1.2', '1.3'] });
});

test('objects list --dir lists a custom folder, and a bad one fails with one line', async (t) => {
  const dir = await tempDir(t);
  await copyFile(path.join(omaDir, 'version_history', '21-2_0.xml'), path.join(dir, '21-2_0.xml'));
  const ok = await lwm2m(['objects', 'list', '--dir', dir, '--json']);
  t.is(ok.code, 0, ok.stderr);
  t.deepEqual(JSON.parse(ok.stdout), [{ id: 21, name: 'LWM2M OSCORE', versions: ['2.0'] }]);

  await writeFile(path.join(dir, 'bad.json'), '{"id": "x"}');
  const bad = await lwm2m(['objects', 'list', '--dir', dir]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /^LWM2M_ERR_MODEL: .*bad\.json: /);
  t.is(bad.stderr.trim().split('\n').length, 1);
});
