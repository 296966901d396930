import test from 'ava';
import type { Registration, StoredValue } from '../../src/store/types.js';
import { startOpsServer } from './helpers/ops-server.js';

const N = 10_000;
const T0 = Date.UTC(2026, 0, 1);

function registration(i: number): Registration {
  const endpoint = `dev-${String(i).padStart(5, '0')}`;
  return {
    id: `r${i}`,
    endpoint,
    lifetime: 3600,
    lwm2mVersion: '1.1',
    binding: 'U',
    queueMode: false,
    rootPath: '/',
    supportedFormats: [],
    objectLinks: i % 2 === 0 ? [{ path: '/3303/0', objectId: 3303, instanceId: 0 }] : [{ path: '/3/0', objectId: 3, instanceId: 0 }],
    address: { address: '127.0.0.1', port: 10_000 + i },
    transport: 'coap',
    registeredAt: T0,
    // Reverse order of update times, to test sorting by something other than the name.
    lastUpdate: T0 + (N - i) * 1000,
    expiresAt: Date.now() + 3_600_000,
  };
}

function temperature(endpoint: string, instance: number, value: number, time: number): StoredValue {
  return { endpoint, path: `/3303/${instance}/5700`, value: { type: 'float', value }, time, receivedAt: time, source: 'notify' };
}

/** 10,000 devices in the stores directly (bounded and fast), plus three that no filter wants. */
async function fleet(t: Parameters<typeof startOpsServer>[0]) {
  const s = await startOpsServer(t);
  const values: StoredValue[] = [];
  for (let i = 0; i < N; i++) {
    const r = registration(i);
    await s.server.stores.registrations.add(r);
    values.push(temperature(r.endpoint, 0, i / 10, T0 + i));
    if (i % 10 === 0) values.push(temperature(r.endpoint, 1, -i, T0 + i));
  }
  for (const ep of ['other-1', 'other-2', 'dev']) values.push(temperature(ep, 0, 0, T0));
  for (let i = 0; i < values.length; i += 2000) await s.server.stores.objects.put(values.slice(i, i + 2000));
  return s;
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

test('a fleet query over 10,000 devices pages through every matching value exactly once, in order', async (t) => {
  const { app, token } = await fleet(t);
  const seen: { endpoint: string; path: string; value: number; time: number }[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const res = await app.inject({ method: 'GET', url: `/api/v1/values?path=/3303/*/5700&ep=dev-*&limit=700${cursor ? `&cursor=${cursor}` : ''}`, headers: auth(token) });
    t.is(res.statusCode, 200);
    const body = res.json<{ values: { endpoint: string; path: string; value: { value: number }; time: number }[]; nextCursor?: string }>();
    t.true(body.values.length <= 700);
    for (const v of body.values) seen.push({ endpoint: v.endpoint, path: v.path, value: v.value.value, time: v.time });
    cursor = body.nextCursor;
    pages++;
  } while (cursor !== undefined && pages < 100);
  t.is(seen.length, N + N / 10);
  t.is(pages, Math.ceil((N + N / 10) / 700));
  const keys = seen.map((v) => `${v.endpoint} ${v.path}`);
  t.is(new Set(keys).size, keys.length, 'no value twice');
  t.deepEqual(keys, [...keys].sort(), 'ordered by endpoint, then path');
  t.false(seen.some((v) => !v.endpoint.startsWith('dev-')), 'the endpoint prefix filter holds');
  const d123 = seen.filter((v) => v.endpoint === 'dev-00123');
  t.deepEqual(d123, [{ endpoint: 'dev-00123', path: '/3303/0/5700', value: 12.3, time: T0 + 123 }]);
});

test('fleet values filter by tag, status and object, and one instance pattern', async (t) => {
  const { app, token, ops } = await fleet(t);
  for (let i = 0; i < 50; i++) await ops.tags.set(registration(i * 7).endpoint, { street: '5' });
  const tagged = await app.inject({ method: 'GET', url: '/api/v1/values?path=/3303/0/5700&tag=street=5&limit=1000', headers: auth(token) });
  t.deepEqual(
    tagged.json<{ values: { endpoint: string }[] }>().values.map((v) => v.endpoint),
    Array.from({ length: 50 }, (_, i) => registration(i * 7).endpoint),
  );
  const withObject = await app.inject({ method: 'GET', url: '/api/v1/values?path=/3303/1/5700&object=3303&limit=1000', headers: auth(token) });
  // Instance 1 exists on every 10th device; object 3303 is announced by even ones: all of them.
  t.is(withObject.json<{ values: unknown[] }>().values.length, N / 10);
  const bad = await app.inject({ method: 'GET', url: '/api/v1/values?path=/3303/x/5700', headers: auth(token) });
  t.is(bad.statusCode, 400);
  t.is(bad.json<{ error: { code: string } }>().error.code, 'LWM2M_ERR_BAD_API_REQUEST');
});

test('fleet history over a time range pages by series', async (t) => {
  const { app, token, server } = await fleet(t);
  // dev-00001 gets a few more readings.
  await server.stores.objects.put([1, 2, 3].map((k) => temperature('dev-00001', 0, 100 + k, T0 + 100_000 + k * 1000)));
  const res = await app.inject({ method: 'GET', url: `/api/v1/values/history?path=/3303/0/5700&ep=dev-0000*&since=${T0 + 101_500}&until=${T0 + 103_000}`, headers: auth(token) });
  t.is(res.statusCode, 200);
  const body = res.json<{ series: { endpoint: string; values: { value: { value: number } }[] }[] }>();
  t.is(body.series.length, 10);
  t.deepEqual(body.series.find((s) => s.endpoint === 'dev-00001')!.values.map((v) => v.value.value), [103, 102]);
  t.deepEqual(body.series.find((s) => s.endpoint === 'dev-00002')!.values, []);
});

test('GET /api/v1/devices lists 10,000 devices page by page, filtered and sorted', async (t) => {
  const { app, token, ops } = await fleet(t);
  await ops.quarantine.quarantine('dev-00042', { reason: 'test', by: { kind: 'token', name: 'admin' } });
  const all: string[] = [];
  let cursor: string | undefined;
  let total = 0;
  for (let page = 0; page < 20; page++) {
    const res = await app.inject({ method: 'GET', url: `/api/v1/devices?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, headers: auth(token) });
    const body = res.json<{ devices: { endpoint: string; status: string }[]; total: number; nextCursor?: string }>();
    all.push(...body.devices.map((d) => d.endpoint));
    total = body.total;
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  t.is(total, N, 'the quarantined device is listed once, with its quarantine instead of a registration');
  t.is(all.length, N);
  t.deepEqual(all, [...all].sort());

  const q = await app.inject({ method: 'GET', url: '/api/v1/devices?status=quarantined', headers: auth(token) });
  t.deepEqual(q.json<{ devices: { endpoint: string; status: string; quarantine: { reason: string } }[] }>().devices.map((d) => [d.endpoint, d.status, d.quarantine.reason]), [['dev-00042', 'quarantined', 'test']]);

  const sorted = await app.inject({ method: 'GET', url: '/api/v1/devices?sort=-registeredAt&limit=3&ep=dev-0001*', headers: auth(token) });
  t.is(sorted.json<{ total: number }>().total, 10);
  const byUpdate = await app.inject({ method: 'GET', url: '/api/v1/devices?sort=lastUpdate&limit=2&object=3303', headers: auth(token) });
  const b = byUpdate.json<{ devices: { endpoint: string }[]; nextCursor: string; total: number }>();
  t.deepEqual(b.devices.map((d) => d.endpoint), ['dev-09998', 'dev-09996']);
  t.is(b.total, N / 2 - 1, 'even devices announce 3303; the quarantined one is not registered');
  const next = await app.inject({ method: 'GET', url: `/api/v1/devices?sort=lastUpdate&limit=2&object=3303&cursor=${b.nextCursor}`, headers: auth(token) });
  t.deepEqual(next.json<{ devices: { endpoint: string }[] }>().devices.map((d) => d.endpoint), ['dev-09994', 'dev-09992']);

  await ops.tags.set('dev-00007', { street: '5' });
  const tagged = await app.inject({ method: 'GET', url: '/api/v1/devices?tag=street=5', headers: auth(token) });
  t.deepEqual(tagged.json<{ devices: { endpoint: string; tags: Record<string, string> }[] }>().devices.map((d) => [d.endpoint, d.tags]), [['dev-00007', { street: '5' }]]);
  const one = await app.inject({ method: 'GET', url: '/api/v1/devices/dev-00042', headers: auth(token) });
  t.is(one.json<{ status: string }>().status, 'quarantined', 'the quarantine is visible on the device');
});
