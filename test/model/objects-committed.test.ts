import test from 'ava';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { importObjects } from '../../src/model/import.js';
import { builtinObjectsDir } from '../../src/model/builtin-dir.js';
import { repoRoot, sharedDir } from '../helpers/paths.js';

test('the committed objects/ is exactly what the converter makes from the OMA registry now', async (t) => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'lwm2m-objects-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  const { written, skipped } = await importObjects(path.join(sharedDir, 'oma-objects'), out);
  t.is(written.length, 424);
  // 327 top-level copies of a history file, DDF.xml, Common.xml, the units list, 2 schemas, README, LICENSE.
  t.is(skipped.length, 327 + 3 + 2 + 2);

  const committedDir = path.join(repoRoot, 'objects');
  // objects/ also holds NOTICE.md; every JSON file in it must be converter output.
  const committed = (await readdir(committedDir)).filter((n) => n.endsWith('.json')).sort();
  const fresh = (await readdir(out)).sort();
  t.deepEqual(committed, fresh, 'regenerate with: node scripts/generate-objects.mjs');
  for (const name of fresh) {
    const [a, b] = await Promise.all([readFile(path.join(committedDir, name), 'utf8'), readFile(path.join(out, name), 'utf8')]);
    if (a !== b) return t.fail(`objects/${name} differs from the converter output; regenerate with scripts/generate-objects.mjs`);
  }
  t.pass();
});

test('the built-in folder is found from the build, at the package root', (t) => {
  t.is(builtinObjectsDir(), path.join(repoRoot, 'objects'));
});
