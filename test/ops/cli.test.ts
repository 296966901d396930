import test from 'ava';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderProgress } from '../../src/cli/commands/fleet-progress.js';
import { eventLine } from '../../src/cli/commands/events.js';
import { parseTagArgs } from '../../src/cli/commands/ops.js';
import { startOpsServer } from './helpers/ops-server.js';
import { register, sendTemperature, UdpDevice } from './helpers/udp-device.js';

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers', 'cli-entry.js');

function cli(env: { url: string; token: string }, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [entry, ...args], { env: { ...process.env, LWM2M_URL: env.url, LWM2M_TOKEN: env.token }, timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('operator commands: token, quarantine, list, release, tag, fleet, query, audit, events', async (t) => {
  const s = await startOpsServer(t);
  const dev = await UdpDevice.open(s.server.coapAddress());
  t.teardown(() => dev.close());
  t.is((await dev.request(register('cli-1'))).code, '2.01');
  t.is((await dev.request(sendTemperature(19.5))).code, '2.04');

  const created = await cli(s, 'token', 'create', '--name', 'ops-bot', '--json');
  t.is(created.code, 0, created.stderr);
  const bot = { url: s.url, token: (JSON.parse(created.stdout) as { token: string }).token };

  t.regex((await cli(bot, 'tag', 'cli-1', 'street=5', 'zone=n')).stdout, /street\s+5/);
  const fleet = JSON.parse((await cli(bot, 'fleet', '--tag', 'street=5', '--json')).stdout) as { endpoint: string; status: string }[];
  t.deepEqual(fleet.map((d) => [d.endpoint, d.status]), [['cli-1', 'online']]);
  const query = await cli(bot, 'query', '/3303/*/5700');
  t.regex(query.stdout, /^ENDPOINT\s+PATH\s+VALUE\s+TIME\n/);
  t.regex(query.stdout, /cli-1\s+\/3303\/0\/5700\s+19\.5/);

  const q = await cli(bot, 'quarantine', 'cli-1', '--reason', 'firmware tampering');
  t.is(q.code, 0, q.stderr);
  t.regex(q.stdout, /^quarantined cli-1 \(firmware tampering\); bound to 127\.0\.0\.1:\d+/);
  t.is((await dev.request(register('cli-1'))).code, '4.03');
  const list = JSON.parse((await cli(bot, 'quarantine', 'list', '--json')).stdout) as { endpoint: string; by: string }[];
  t.deepEqual(list.map((x) => [x.endpoint, x.by]), [['cli-1', 'ops-bot']]);
  t.is((await cli(bot, 'release', 'cli-1')).stdout, 'released cli-1\n');
  t.is((await cli(bot, 'release', 'cli-1')).code, 1, 'releasing twice is an error');

  const audit = JSON.parse((await cli(s, 'audit', '--since', '1h', '--json')).stdout) as { actor: { name: string }; action: string }[];
  t.deepEqual(audit.map((e) => `${e.actor.name} ${e.action}`), ['admin token.create', 'ops-bot tag', 'ops-bot quarantine', 'ops-bot release']);

  const events = JSON.parse(`[${(await cli(s, 'events', '--last-event-id', '0', '--type', 'quarantine', '--count', '2', '--json')).stdout.trim().split('\n').join(',')}]`) as { type: string; data: { action: string } }[];
  t.deepEqual(events.map((e) => `${e.type} ${e.data.action}`), ['quarantine quarantined', 'quarantine released']);

  const ro = JSON.parse((await cli(s, 'token', 'create', '--name', 'viewer', '--read-only', '--json')).stdout) as { token: string };
  const refused = await cli({ url: s.url, token: ro.token }, 'quarantine', 'cli-1');
  t.is(refused.code, 1);
  t.is(refused.stderr, 'lwm2m: token "viewer" is read-only (LWM2M_ERR_FORBIDDEN)\n');
  t.regex((await cli(s, 'token', 'list')).stdout, /ops-bot\s+full[\s\S]*viewer\s+read-only/);
  t.is((await cli(s, 'token', 'revoke', 'viewer')).code, 0);
});

test('tag arguments and the progress bar text', (t) => {
  t.deepEqual(parseTagArgs(['street=5', 'old=', 'a=b=c']), { street: '5', old: null, a: 'b=c' });
  t.throws(() => parseTagArgs(['nokey']));
  t.is(renderProgress('read', 5, 10, 10), 'read [#####-----]  50% 5/10');
  t.is(renderProgress('values', 1200, undefined), 'values 1200');
});

test('event lines for people: values, request results, and the two kinds of gap', (t) => {
  const at = '2026-12-08T01:00:00.000Z';
  t.is(eventLine({ type: 'notification', data: { at, endpoint: 'dev-1', values: [{ path: '/3303/0/5700', value: { type: 'float', value: 21.5 } }] } }), `${at}  notification       dev-1  /3303/0/5700=21.5`);
  t.is(eventLine({ type: 'gap', data: { at, lastEventId: 4, oldestId: 9, latestId: 20 } }), `${at}  gap                -  events 4..9 are no longer buffered`);
  t.is(
    eventLine({ type: 'gap', data: { at, lastEventId: 4, oldestId: 1, latestId: 20, notKept: ['notification', 'read', 'send'] } }),
    `${at}  gap                -  notification, read, send events after 4 were not kept (no event-stream client then)`,
  );
  // A device's answer by its CoAP code; a request that never reached the device by its error code.
  const request = { operation: 'read', endpoint: 'dev-1' };
  t.is(eventLine({ type: 'request-result', data: { at, endpoint: 'dev-1', request, result: { ok: true, code: '2.05' } } }), `${at}  request-result     dev-1  read -> 2.05`);
  t.is(eventLine({ type: 'request-result', data: { at, endpoint: 'dev-1', request, result: { ok: false, code: '4.04', error: { code: 'LWM2M_ERR_DEVICE_ERROR' } } } }), `${at}  request-result     dev-1  read -> 4.04`);
  t.is(eventLine({ type: 'request-result', data: { at, endpoint: 'dev-1', request, result: { ok: false, error: { code: 'LWM2M_ERR_CANCELLED' } } } }), `${at}  request-result     dev-1  read -> LWM2M_ERR_CANCELLED`);
});
