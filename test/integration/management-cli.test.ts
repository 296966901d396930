import test from 'ava';
import type { OperationResult, PathValue } from '../../src/lwm2m/management/operation.js';
import type { SimulatedDevice } from '../../src/sim/simulated-device.js';
import type { StoredValue } from '../../src/store/types.js';
import { cli } from '../helpers/server-process.js';
import { eventually, startTestServer, type TestServer } from '../helpers/management.js';

/** The `lwm2m` management commands as a separate process against a server and a simulated device. */
let s: TestServer;
let d: SimulatedDevice;
let env: NodeJS.ProcessEnv;

test.before(async () => {
  s = await startTestServer();
  d = await s.device({ endpoint: 'cli-dev', lwm2mVersion: '1.1' });
  env = { LWM2M_URL: s.server.httpUrl(), LWM2M_TOKEN: s.adminTokenForTests() };
});
test.after.always(() => s?.stop());

test.serial('lwm2m read prints a table, and JSON with --json', async (t) => {
  let r = await cli(['read', 'cli-dev', '/3/0/9'], env);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^PATH\s+VALUE\s+TYPE\n\/3\/0\/9\s+87\s+integer\n$/);
  r = await cli(['read', 'cli-dev', '/3/0/6', '--json', '--format', '110'], env);
  t.is(r.code, 0, r.stderr);
  const reply = JSON.parse(r.stdout) as OperationResult;
  t.is(reply.format, 110);
  t.deepEqual(reply.values?.map((v) => v.value.value), [1, 5]);
});

test.serial('lwm2m write and exec reach the device', async (t) => {
  let r = await cli(['write', 'cli-dev', '/3/0/14', '+04:00'], env);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(d.value('/3/0/14'), { type: 'string', value: '+04:00' });
  r = await cli(['exec', 'cli-dev', '/3/0/4', '1'], env);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /executed \(2\.04\)/);
  t.is(d.executed.at(-1)?.args, '1');
});

test.serial('a device error is one line on stderr and exit code 1', async (t) => {
  const r = await cli(['read', 'cli-dev', '/3/0/4'], env);
  t.is(r.code, 1);
  t.regex(r.stderr, /4\.05/);
  t.is(r.stderr.trim().split('\n').length, 1);
});

test.serial('lwm2m observe --count 2 --json prints the first value and one notification, then exits', async (t) => {
  const running = cli(['observe', 'cli-dev', '/3303/0/5700', '--count', '2', '--json'], env);
  await eventually(() => d.observations.size === 1, 10_000, 'the observation');
  // The CLI follows the event stream before it asks for the observation: a change now is seen.
  d.setValue('/3303/0/5700', { type: 'float', value: 31.5 });
  const r = await running;
  t.is(r.code, 0, r.stderr);
  const docs = r.stdout.trim().split(/\n(?=\[)/).map((x) => JSON.parse(x) as PathValue[]);
  t.deepEqual(docs.map((vals) => vals.map((v) => v.value.value)), [[21.5], [31.5]]);
});

test.serial('lwm2m observations lists what the server still observes after the observing CLI exited', async (t) => {
  let r = await cli(['observations', 'cli-dev'], env);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^PATHS\s+COMPOSITE\s+FORMAT\s+TOKEN\s+SINCE\n\/3303\/0\/5700\s+(\d+\s+)?[0-9a-f]+\s+\d{4}-\d\d-\d\dT\S+Z\n$/);
  r = await cli(['observations', 'cli-dev', '--json'], env);
  const [obs] = JSON.parse(r.stdout) as { paths: string[]; token: string }[];
  t.deepEqual(obs?.paths, ['/3303/0/5700']);
  t.true(d.observations.size === 1, 'the device holds it too');
});

test.serial('lwm2m values --history --json shows what was stored', async (t) => {
  const r = await cli(['values', 'cli-dev', '/3303/0/5700', '--history', '--json'], env);
  t.is(r.code, 0, r.stderr);
  const hist = JSON.parse(r.stdout) as StoredValue[];
  t.deepEqual(hist.map((h) => [(h.value as { value: number }).value, h.source]), [[31.5, 'notify'], [21.5, 'notify']]);
});

// Last: the composite observation stores more values of /3303/0/5700, which the history test above counts.
test.serial('lwm2m observe with several paths is an Observe-Composite; lwm2m cancel with the same paths ends it', async (t) => {
  const before = d.observations.size;
  const running = cli(['observe', 'cli-dev', '/3303/0/5700', '/3/0/9', '--count', '2', '--json'], env);
  await eventually(() => d.observations.size === before + 1, 10_000, 'the composite observation');
  d.setValue('/3/0/9', { type: 'integer', value: 55 });
  const r = await running;
  t.is(r.code, 0, r.stderr);
  const docs = r.stdout.trim().split(/\n(?=\[)/).map((x) => JSON.parse(x) as PathValue[]);
  t.is(docs.length, 2);
  t.deepEqual(docs[1]!.find((v) => v.path === '/3/0/9')?.value, { type: 'integer', value: 55 });
  const held = await s.api<{ observations: { paths: string[]; composite: boolean }[] }>('GET', '/api/v1/devices/cli-dev/observations');
  t.true(held.body.observations.some((o) => o.composite && o.paths.join() === '/3303/0/5700,/3/0/9'));
  const c = await cli(['cancel', 'cli-dev', '/3303/0/5700', '/3/0/9'], env);
  t.is(c.code, 0, c.stderr);
  t.regex(c.stdout, /^cancelled/);
  await eventually(() => d.observations.size === before, 10_000, 'the device forgot it (active cancel)');
  const after = await s.api<{ observations: { composite: boolean }[] }>('GET', '/api/v1/devices/cli-dev/observations');
  t.false(after.body.observations.some((o) => o.composite));
});
