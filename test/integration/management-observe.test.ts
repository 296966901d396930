import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OperationResult } from '../../src/lwm2m/management/operation.js';
import type { StoredValue } from '../../src/store/types.js';
import { eventually, startTestServer } from '../helpers/management.js';

/** Issue "Device management": Observe, notifications into the object store, restart, Send. */
const temp = (value: number) => ({ type: 'float' as const, value });

for (const format of [0, 60, 11542, 110, 112, 11543, 11544]) {
  test(`Observe in Content-Format ${format}: notifications are decoded, stored with history and streamed`, async (t) => {
    const s = await startTestServer();
    t.teardown(() => s.stop());
    const ep = `obs-${format}`;
    const d = await s.device({ endpoint: ep, lwm2mVersion: '1.2', supportedFormats: [110, 112, 11543, 11544] });
    const events = await s.events(`?ep=${ep}&type=notification`);
    const res = await s.api<OperationResult>('POST', `/api/v1/devices/${ep}/objects/3303/0/5700/observe?format=${format}`);
    t.is(res.status, 200, JSON.stringify(res.body));
    t.is(res.body.format, format);
    t.regex(res.body.token!, /^[0-9a-f]+$/);
    t.is(d.observations.size, 1);
    for (const v of [22.5, 23.75, 25]) {
      d.setValue('/3303/0/5700', temp(v));
      const e = await events.next((x) => JSON.stringify(x.data.values).includes(String(v)));
      t.deepEqual(e.data.values, [{ path: '/3303/0/5700', value: temp(v) }]);
      t.is(e.data.token, res.body.token);
    }
    const latest = await s.api<{ values: StoredValue[] }>('GET', `/api/v1/devices/${ep}/values/3303/0/5700`);
    t.deepEqual(latest.body.values.map((v) => [v.value, v.source]), [[temp(25), 'notify']]);
    const hist = await s.api<{ history: StoredValue[] }>('GET', `/api/v1/devices/${ep}/values/3303/0/5700/history`);
    t.deepEqual(hist.body.history.map((h) => (h.value as { value: number }).value), [25, 23.75, 22.5, 21.5]);
    const obsList = await s.api<{ observations: { token: string }[] }>('GET', `/api/v1/devices/${ep}/observations`);
    t.deepEqual(obsList.body.observations.map((o) => o.token), [res.body.token]);
  });
}

test('Observe an instance, cancel actively: the device gets Observe=1 and forgets it', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.stop());
  const d = await s.device({ endpoint: 'obs-cancel', lwm2mVersion: '1.1' });
  const events = await s.events('?ep=obs-cancel');
  const res = await s.api<OperationResult>('POST', '/api/v1/devices/obs-cancel/objects/3311/0/observe');
  t.is(res.status, 200);
  t.is(res.body.format, 112, 'SenML CBOR for an instance of a 1.1 device announcing 112');
  d.setValue('/3311/0/5850', { type: 'boolean', value: true });
  const e = await events.next((x) => x.type === 'notification' && JSON.stringify(x.data.values).includes('"value":true'));
  t.true((e.data.values as unknown[]).length > 3, 'the whole instance');
  const del = await s.api<OperationResult>('DELETE', '/api/v1/devices/obs-cancel/objects/3311/0/observe');
  t.is(del.status, 200);
  await eventually(() => d.observations.size === 0);
  t.true(d.requests.some((r) => r.observe === 1 && r.path === '/3311/0'));
  await events.next((x) => x.type === 'observation-ended');
});

test('Observe-Composite: one notification carries every listed path', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.stop());
  // CON notifications: the device ends an observation when one of them is answered with RST.
  const d = await s.device({ endpoint: 'obs-comp', lwm2mVersion: '1.1', confirmableNotifications: true });
  const events = await s.events('?ep=obs-comp&type=notification');
  const res = await s.api<OperationResult>('POST', '/api/v1/devices/obs-comp/composite/observe', { paths: ['/3303/0/5700', '/3302/0/5500'] });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.is(d.requests.at(-1)!.method, 'FETCH');
  d.setValue('/3302/0/5500', { type: 'boolean', value: true });
  const e = await events.next((x) => JSON.stringify(x.data.values).includes('"value":true'));
  t.deepEqual((e.data.values as { path: string }[]).map((v) => v.path), ['/3303/0/5700', '/3302/0/5500']);
  const stored = await s.api<{ values: StoredValue[] }>('GET', '/api/v1/devices/obs-comp/values/3302/0/5500');
  t.deepEqual(stored.body.values[0]!.value, { type: 'boolean', value: true });
  // Passive cancel (RFC 7641 §3.6): the server forgets it and resets the device's next notification.
  const bad = await s.api<{ error: { code: string } }>('DELETE', '/api/v1/devices/obs-comp/composite/observe?mode=sometimes', { paths: ['/3303/0/5700', '/3302/0/5500'] });
  t.deepEqual([bad.status, bad.body.error.code], [400, 'LWM2M_ERR_BAD_API_REQUEST']);
  const cancelled = await s.api<OperationResult>('DELETE', '/api/v1/devices/obs-comp/composite/observe?mode=passive', { paths: ['/3303/0/5700', '/3302/0/5500'] });
  t.is(cancelled.status, 200, JSON.stringify(cancelled.body));
  t.is(d.observations.size, 1, 'nothing was sent: the device still holds it');
  d.setValue('/3302/0/5500', { type: 'boolean', value: false });
  await eventually(() => d.observations.size === 0, 5000, 'the device dropped it after the RST');
  t.deepEqual((await s.api<{ observations: unknown[] }>('GET', '/api/v1/devices/obs-comp/observations')).body.observations, []);
});

test('Observe across a server restart (LevelDB): notifications after the restart are decoded and stored; a new Register re-establishes it', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lwm2m-obs-restart-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  let s = await startTestServer({ storage: 'level' }, { dataDir });
  const coapPort = s.server.coapAddress().port;
  const d = await s.device({ endpoint: 'obs-restart', lwm2mVersion: '1.1', lifetime: 600 });
  const res = await s.api<OperationResult>('POST', '/api/v1/devices/obs-restart/objects/3303/0/5700/observe');
  t.is(res.status, 200);
  d.setValue('/3303/0/5700', temp(24));
  await eventually(async () => (await s.api<{ history: StoredValue[] }>('GET', '/api/v1/devices/obs-restart/values/3303/0/5700/history')).body.history.length === 2);
  // The test server's stop() closes the devices it started: stop only the server itself.
  await s.server.stop();

  s = await startTestServer({ storage: 'level', coap: { host: '127.0.0.1', port: coapPort } }, { dataDir });
  t.teardown(() => s.stop());
  d.setValue('/3303/0/5700', temp(26.5));
  const after = await eventually(async () => {
    const h = await s.api<{ history: StoredValue[] }>('GET', '/api/v1/devices/obs-restart/values/3303/0/5700/history');
    return h.body.history.length === 3 ? h.body.history : undefined;
  });
  t.deepEqual(after[0]!.value, temp(26.5));
  t.is(after[0]!.source, 'notify');

  // A new Register: the device forgot its observations; the server observes again.
  const observesBefore = d.requests.filter((r) => r.observe === 0).length;
  d.observations.clear();
  await d.register();
  await eventually(() => d.observations.size === 1, 15_000, 're-observation');
  t.is(d.requests.filter((r) => r.observe === 0).length, observesBefore + 1);
  d.setValue('/3303/0/5700', temp(28));
  await eventually(async () => {
    const v = await s.api<{ values: StoredValue[] }>('GET', '/api/v1/devices/obs-restart/values/3303/0/5700');
    return (v.body.values[0]?.value as { value: number } | undefined)?.value === 28;
  });
  const obs = await s.api<{ observations: { token: string }[] }>('GET', '/api/v1/devices/obs-restart/observations');
  t.is(obs.body.observations.length, 1, 'the old observation was replaced, not duplicated');
  await d.close();
});

for (const format of [110, 112]) {
  test(`Send (POST /dp) in Content-Format ${format} is stored with source "send" and streamed`, async (t) => {
    const s = await startTestServer();
    t.teardown(() => s.stop());
    const ep = `send-${format}`;
    const d = await s.device({ endpoint: ep, lwm2mVersion: '1.1' });
    const events = await s.events(`?ep=${ep}&type=send`);
    d.setValue('/3303/0/5700', temp(19.25));
    const res = await d.send(['/3303/0/5700', '/3/0/9'], { format });
    t.is(res.code, '2.04');
    const e = await events.next(() => true);
    t.deepEqual((e.data.values as { path: string; value: unknown }[]).map((v) => [v.path, v.value]), [['/3303/0/5700', temp(19.25)], ['/3/0/9', { type: 'integer', value: 87 }]]);
    const stored = await s.api<{ values: StoredValue[] }>('GET', `/api/v1/devices/${ep}/values`);
    const temperature = stored.body.values.find((v) => v.path === '/3303/0/5700')!;
    t.is(temperature.source, 'send');
    t.deepEqual(temperature.value, temp(19.25));
  });
}

test('Send from a device that is not registered is refused with 4.04', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.stop());
  const d = await s.device({ endpoint: 'send-gone', lwm2mVersion: '1.1' });
  await s.api('DELETE', '/api/v1/devices/send-gone');
  const res = await d.send(['/3/0/9']);
  t.is(res.code, '4.04');
});

test('after a restart, a block-wise notification (16-byte blocks) is fetched whole, decoded and stored', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lwm2m-obs-restart-b2-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  let s = await startTestServer({ storage: 'level' }, { dataDir });
  const coapPort = s.server.coapAddress().port;
  const d = await s.device({ endpoint: 'obs-restart-b2', lwm2mVersion: '1.1', lifetime: 600, coap: { BLOCK_SIZE: 16 } });
  const res = await s.api<OperationResult>('POST', '/api/v1/devices/obs-restart-b2/objects/3/0/observe?format=11542');
  t.is(res.status, 200, JSON.stringify(res.body));
  await s.server.stop();
  s = await startTestServer({ storage: 'level', coap: { host: '127.0.0.1', port: coapPort } }, { dataDir });
  t.teardown(async () => {
    await d.close();
    await s.stop();
  });
  d.setValue('/3/0/9', { type: 'integer', value: 13 });
  const v = await eventually(async () => {
    const r = await s.api<{ values: StoredValue[] }>('GET', '/api/v1/devices/obs-restart-b2/values/3/0/9');
    return r.body.values[0]?.source === 'notify' && (r.body.values[0].value as { value: number }).value === 13 ? r.body.values[0] : undefined;
  }, 8000, 'the notification after the restart');
  t.is(v.path, '/3/0/9');
  const all = await s.api<{ values: StoredValue[] }>('GET', '/api/v1/devices/obs-restart-b2/values/3/0');
  t.true(all.body.values.filter((x) => x.source === 'notify' && x.time >= v.time).length > 15, 'the whole instance, not only its first block');
});
