import test from 'ava';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DeviceJson } from '../../src/http/device-json.js';
import { cli, run, spawnServer } from '../helpers/server-process.js';

/**
 * Issue "Foundation", done-when #1: libcoap's coap-client-notls registers, updates and
 * de-registers; `lwm2m devices --json` shows the device in between.
 */
test('coap-client-notls registers, updates and de-registers; the CLI shows it in between', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-it-'));
  const server = await spawnServer(dir);
  t.teardown(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const base = `coap://127.0.0.1:${server.coapPort}`;
  const env = { LWM2M_URL: server.httpUrl, LWM2M_DATA: dir };

  const mode = (await stat(path.join(dir, 'admin.token'))).mode & 0o777;
  t.is(mode, 0o600, 'admin.token is readable by its owner only');

  const reg = await run('coap-client-notls', ['-m', 'post', '-t', '40', '-e', '</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>', '-B', '5', `${base}/rd?ep=libcoap-ep&lt=300&lwm2m=1.1&b=U`]);
  t.is(reg.code, 0, reg.stderr);

  let res = await cli(['devices', '--json'], env);
  t.is(res.code, 0, res.stderr);
  const devices = JSON.parse(res.stdout) as DeviceJson[];
  t.is(devices.length, 1);
  const dev = devices[0]!;
  t.is(dev.endpoint, 'libcoap-ep');
  t.is(dev.lifetime, 300);
  t.is(dev.lwm2mVersion, '1.1');
  t.deepEqual(dev.supportedFormats, [110]);
  t.deepEqual(dev.objects, [{ path: '/1/0' }, { path: '/3/0' }]);

  const up = await run('coap-client-notls', ['-m', 'post', '-B', '5', `${base}/rd/${dev.registrationId}?lt=600`]);
  t.is(up.code, 0, up.stderr);
  res = await cli(['device', 'libcoap-ep', '--json'], env);
  t.is(res.code, 0, res.stderr);
  const updated = JSON.parse(res.stdout) as DeviceJson;
  t.is(updated.lifetime, 600);
  t.is(updated.registrationId, dev.registrationId);

  res = await cli(['devices'], env);
  t.regex(res.stdout, /^ENDPOINT\s+ID\s+LWM2M/m);
  t.regex(res.stdout, /libcoap-ep\s+[0-9a-f]+\s+1\.1\s+U/);

  const del = await run('coap-client-notls', ['-m', 'delete', '-B', '5', `${base}/rd/${dev.registrationId}`]);
  t.is(del.code, 0, del.stderr);
  res = await cli(['devices', '--json'], env);
  t.deepEqual(JSON.parse(res.stdout), []);

  res = await cli(['device', 'libcoap-ep'], env);
  t.not(res.code, 0);
  t.regex(res.stderr, /^lwm2m: no device "libcoap-ep" is registered \(LWM2M_ERR_UNKNOWN_DEVICE\)\n$/);
});

test('CLI errors are one clear line and a non-zero exit', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // No server on this port (port 9 is discard; nothing listens on loopback here).
  let res = await cli(['devices', '--url', 'http://127.0.0.1:9'], { LWM2M_TOKEN: 'x' });
  t.is(res.code, 1);
  t.regex(res.stderr, /^lwm2m: cannot reach the server at http:\/\/127\.0\.0\.1:9 .*is "lwm2m serve" running\?\n$/);
  res = await cli(['devices', '--data', dir], { LWM2M_TOKEN: '' });
  t.is(res.code, 1);
  t.regex(res.stderr, /no API token/);
  res = await cli(['serve', '--coap-port', 'seventy']);
  t.not(res.code, 0);
  t.regex(res.stderr, /--coap-port.*must be a port number/);
  res = await cli(['serve', '--event-resume-window', '-1']);
  t.not(res.code, 0);
  t.regex(res.stderr, /--event-resume-window.*must be a number, 0 or more/);
  res = await cli(['frobnicate']);
  t.not(res.code, 0);
  t.regex(res.stderr, /unknown command 'frobnicate'/);
});
