import test from 'ava';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { run } from '../helpers/server-process.js';

// bin/lwm2m loads dist/: only meaningful for the default build.
const defaultBuild = (process.env.LWM2M_DIST ?? 'dist') === 'dist';

(defaultBuild ? test : test.skip)('bin/lwm2m is the package CLI entry and prints its commands', async (t) => {
  const res = await run(path.join(repoRoot, 'bin', 'lwm2m'), ['--help']);
  t.is(res.code, 0, res.stderr);
  for (const cmd of ['serve', 'devices', 'device', 'deregister']) t.regex(res.stdout, new RegExp(`^\\s+${cmd}\\b`, 'm'));
});
