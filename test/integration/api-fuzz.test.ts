import test from 'ava';
import { seededRandom } from '../helpers/prng.js';
import { startTestServer } from '../helpers/management.js';

/**
 * Bad input through the management API: seeded random methods, routes, query strings and bodies
 * against a server with a simulated device and a sleeping queue-mode one. Every answer is a
 * status below 500 (or the 502/503/504 of a device that answered an error, was cancelled or did
 * not answer) with the documented shape, and the server keeps serving.
 */
const EPS = ['fz-1', 'fz-1', 'fz-1', 'fz-q', 'fz-q', 'nobody', '%00', 'a%2Fb', '%E2%82%AC'];
const PATHS = ['3/0/9', '3/0/9', '3/0', '3', '3/0/4', '3/5', '3311/0/5850', '3303/0/5700', '3/0/4/execute', '3/0/discover', '3/0/9/attributes', '3/0/9/observe', '3/x', '65535/65535/65535/65535', '3/0/9/1/2', '', '/3//0', '3/0/14', '99999'];
const QUERIES = ['', 'format=112', 'format=abc', 'format=99999999', 'timeout=0', 'timeout=-1', 'mode=update', 'mode=x', 'since=1h', 'since=x', 'limit=0', 'limit=1e9'];
const BODIES: unknown[] = [
  undefined, null, 1, 'x', [], [1, 2], {}, { value: 1 }, { value: 'x' }, { value: null }, { values: { 0: 1 } }, { values: [] },
  { resources: { 14: '+01' } }, { resources: 'x' }, { resources: { x: 1 } }, { paths: ['/3/0/9'] }, { paths: 'x' }, { paths: [1] },
  { values: { '/3/0/14': '+02' } }, { values: { '/x': 1 } }, { args: 5 }, { args: "0='a'" }, { id: -1, resources: {} }, { id: 70000 },
  { pmin: 'x' }, { pmin: 1, pmax: null }, { gt: 1, lt: 2, st: -1 }, { value: { type: 'float', value: 'NaN' } }, { value: { type: 'nope' } },
  { value: { type: 'opaque', value: '!!' } }, { constructor: 1, __proto__: { value: 1 } },
];

test('seeded random API requests get coded answers of the documented shape; the server keeps serving', async (t) => {
  const s = await startTestServer({ queue: { awakeWindowMs: 500 } });
  t.teardown(() => s.stop());
  await s.device({ endpoint: 'fz-1', lwm2mVersion: '1.1' });
  (await s.device({ endpoint: 'fz-q', lwm2mVersion: '1.1', queueMode: true })).sleep();
  await new Promise((r) => setTimeout(r, 600)); // past the awake window: fz-q's requests are queued
  const random = seededRandom(20261208);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(random() * a.length)]!;
  const route = (): string => {
    const ep = pick(EPS);
    const p = pick(PATHS);
    return pick([
      `/api/v1/devices/${ep}/objects/${p}`,
      `/api/v1/devices/${ep}/composite/${pick(['read', 'write', 'observe', 'x'])}`,
      `/api/v1/devices/${ep}/values/${p}${pick(['', '/history'])}`,
      `/api/v1/devices/${ep}/requests`,
      `/api/v1/devices/${ep}/observations`,
      `/api/v1/requests/${pick(['abc', '0000000000000000', '%ZZ', ''])}`,
    ]);
  };
  const problems: string[] = [];
  const statuses = new Set<number>();
  for (let i = 0; i < 400; i++) {
    const method = pick(['GET', 'PUT', 'POST', 'DELETE'] as const);
    const url = `${route()}?${pick(QUERIES)}&timeout=1`;
    const body = method === 'GET' || method === 'DELETE' ? undefined : pick(BODIES);
    const r = await s.api<Record<string, unknown>>(method, url, body);
    statuses.add(r.status);
    const what = `${method} ${url} ${JSON.stringify(body)} -> ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`;
    if (r.status >= 500 && ![502, 503, 504].includes(r.status)) problems.push(what);
    else if (r.status >= 400) {
      const error = (r.body.error ?? undefined) as { code?: unknown; message?: unknown } | undefined;
      if (typeof error?.code !== 'string' || !error.code.startsWith('LWM2M_ERR_') || typeof error.message !== 'string') problems.push(`shape: ${what}`);
    }
  }
  t.deepEqual(problems, []);
  // The requests reached past the router and the checks: successes, queued requests, refusals.
  for (const status of [200, 202, 400, 404, 405]) t.true(statuses.has(status), `some answer was ${status}: ${[...statuses].join(',')}`);
  const devices = await s.api<{ devices: { endpoint: string }[] }>('GET', '/api/v1/devices');
  t.deepEqual(devices.body.devices.map((d) => d.endpoint).sort(), ['fz-1', 'fz-q']);
  const read = await s.api<{ ok: boolean }>('GET', '/api/v1/devices/fz-1/objects/3303/0/5700');
  t.true(read.status === 200 || read.status === 502, 'the device still answers through the API');
});
