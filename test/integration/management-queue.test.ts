import test from 'ava';
import type { OperationResult } from '../../src/lwm2m/management/operation.js';
import type { QueuedRequest } from '../../src/store/types.js';
import { cli } from '../helpers/server-process.js';
import type { ExecutionContext } from 'ava';
import { eventually, sleep, startTestServer } from '../helpers/management.js';

/** A server whose awake window is `awakeMs`, and a queue-mode device it considers asleep. */
async function sleepingDevice(t: ExecutionContext, endpoint: string, awakeMs = 1000) {
  const s = await startTestServer({ queue: { awakeWindowMs: awakeMs, ttlMs: 60_000 } });
  t.teardown(() => s.stop());
  const d = await s.device({ endpoint, lwm2mVersion: '1.1', queueMode: true });
  d.sleep();
  await sleep(awakeMs + 100); // the server's awake window passes: it considers the device asleep
  return { s, d };
}

/**
 * Issue "Device management": a queue-mode device sleeps, wakes and receives three queued
 * requests in order; their results are in GET /api/v1/requests/{id} and `request-result` events.
 */
test('three requests queued while asleep are delivered in order at wake-up, with results', async (t) => {
  const { s, d } = await sleepingDevice(t, 'sleeper', 2000);
  const events = await s.events('?ep=sleeper&type=request-queued,request-result');

  const submitted = [
    await s.api<{ queued: boolean; requestId: string }>('PUT', '/api/v1/devices/sleeper/objects/3/0/14', { value: '+09:00' }),
    await s.api<{ queued: boolean; requestId: string }>('GET', '/api/v1/devices/sleeper/objects/3/0/14'),
    await s.api<{ queued: boolean; requestId: string }>('POST', '/api/v1/devices/sleeper/objects/3/0/4/execute', { args: '5' }),
  ];
  for (const r of submitted) {
    t.is(r.status, 202);
    t.true(r.body.queued);
    t.regex(r.body.requestId, /^[0-9a-f]{16}$/);
  }
  t.is(d.requests.length, 0, 'nothing reached the sleeping device');
  for (let i = 0; i < 3; i++) await events.next((e) => e.type === 'request-queued');
  const pending = await s.api<QueuedRequest>('GET', `/api/v1/requests/${submitted[0]!.body.requestId}`);
  t.is(pending.body.status, 'pending');

  await d.wake();
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await events.next((e) => e.type === 'request-result'));
  t.deepEqual(results.map((e) => (e.data.request as QueuedRequest).id), submitted.map((r) => r.body.requestId));
  t.deepEqual(d.requests.map((r) => `${r.method} ${r.path}`), ['PUT /3/0/14', 'GET /3/0/14', 'POST /3/0/4']);
  t.deepEqual(d.executed.map((e) => e.args), ['5']);

  const finished = await Promise.all(submitted.map((r) => s.api<QueuedRequest>('GET', `/api/v1/requests/${r.body.requestId}`)));
  t.deepEqual(finished.map((f) => f.body.status), ['succeeded', 'succeeded', 'succeeded']);
  const read = finished[1]!.body.result as unknown as OperationResult;
  t.deepEqual(read.values, [{ path: '/3/0/14', value: { type: 'string', value: '+09:00' } }], 'the read saw the write queued before it');
  t.is((finished[2]!.body.result as unknown as OperationResult).code, '2.04');
});

test('while awake, requests to a queue-mode device go straight through (200)', async (t) => {
  const s = await startTestServer({ queue: { awakeWindowMs: 30_000 } });
  t.teardown(() => s.stop());
  await s.device({ endpoint: 'awake', lwm2mVersion: '1.1', queueMode: true });
  const res = await s.api<OperationResult>('GET', '/api/v1/devices/awake/objects/3/0/9');
  t.is(res.status, 200);
  t.deepEqual(res.body.values?.[0]?.value, { type: 'integer', value: 87 });
});

test('a queued request that fails on the device is reported as failed with the device code', async (t) => {
  const { s, d } = await sleepingDevice(t, 'sleeper-err');
  const r = await s.api<{ requestId: string }>('GET', '/api/v1/devices/sleeper-err/objects/3/9');
  t.is(r.status, 202);
  await d.wake();
  const done = await eventually(async () => {
    const q = await s.api<QueuedRequest>('GET', `/api/v1/requests/${r.body.requestId}`);
    return q.body.status === 'failed' ? q.body : undefined;
  });
  t.is((done.result as unknown as OperationResult).code, '4.04');
});

test('an operator lists what waits for a sleeping device and cancels one: the device gets the others, in order', async (t) => {
  const { s, d } = await sleepingDevice(t, 'sleeper-c');
  const events = await s.events('?ep=sleeper-c&type=request-result');
  const ids: string[] = [];
  for (const path of ['3/0/14', '3/0/15', '3/0/9']) ids.push((await s.api<{ requestId: string }>('GET', `/api/v1/devices/sleeper-c/objects/${path}`)).body.requestId);

  const listed = await s.api<{ requests: QueuedRequest[] }>('GET', '/api/v1/devices/sleeper-c/requests');
  t.is(listed.status, 200);
  t.deepEqual(listed.body.requests.map((r) => [r.id, r.status, (r.args as { path?: string }).path]), [
    [ids[0], 'pending', '/3/0/14'],
    [ids[1], 'pending', '/3/0/15'],
    [ids[2], 'pending', '/3/0/9'],
  ]);

  const cancelled = await s.api<{ cancelled: QueuedRequest }>('DELETE', `/api/v1/requests/${ids[1]}`);
  t.is(cancelled.status, 200);
  t.is(cancelled.body.cancelled.status, 'cancelled');
  const result = await events.next((e) => e.type === 'request-result');
  t.deepEqual([(result.data.request as QueuedRequest).id, (result.data.result as OperationResult).error?.code], [ids[1], 'LWM2M_ERR_CANCELLED']);
  const again = await s.api<{ error: { code: string } }>('DELETE', `/api/v1/requests/${ids[1]}`);
  t.deepEqual([again.status, again.body.error.code], [412, 'LWM2M_ERR_PRECONDITION_FAILED']);
  t.is((await s.api('DELETE', '/api/v1/requests/0000000000000000')).status, 404);
  t.deepEqual((await s.api<{ requests: QueuedRequest[] }>('GET', '/api/v1/devices/sleeper-c/requests')).body.requests.map((r) => r.id), [ids[0], ids[2]]);

  await d.wake();
  await events.next((e) => e.type === 'request-result' && (e.data.request as QueuedRequest).id === ids[2]);
  t.deepEqual(d.requests.map((r) => `${r.method} ${r.path}`), ['GET /3/0/14', 'GET /3/0/9']);
  t.deepEqual((await s.api<{ requests: QueuedRequest[] }>('GET', '/api/v1/devices/sleeper-c/requests')).body.requests, []);
  t.is((await s.api<QueuedRequest>('GET', `/api/v1/requests/${ids[1]}`)).body.status, 'cancelled');
  const audit = await s.api<{ entries: { action: string; status?: number }[] }>('GET', '/api/v1/audit');
  t.true(audit.body.entries.some((e) => e.action === 'DELETE /api/v1/requests/:id'), 'the cancel is an audited operator action');
});

test('lwm2m requests lists the waiting requests; lwm2m request --cancel withdraws one; errors are one line', async (t) => {
  const { s, d } = await sleepingDevice(t, 'sleeper-cli');
  const env = { LWM2M_URL: s.server.httpUrl(), LWM2M_TOKEN: s.adminTokenForTests() };
  let r = await cli(['requests', 'sleeper-cli'], env);
  t.deepEqual([r.code, r.stdout], [0, '(none)\n']);
  r = await cli(['read', 'sleeper-cli', '/3/0/9', '--json'], env);
  t.is(r.code, 0, r.stderr);
  const id = (JSON.parse(r.stdout) as { requestId: string }).requestId;
  r = await cli(['write-composite', 'sleeper-cli', '/3/0/14=+01:00', '/3/0/15=Europe/Paris'], env);
  t.is(r.code, 0, r.stderr);

  r = await cli(['requests', 'sleeper-cli'], env);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.regex(lines[0]!, /^ID\s+SEQ\s+OPERATION\s+PATH\s+CREATED\s+EXPIRES$/);
  t.regex(lines[1]!, new RegExp(`^${id}\\s+\\d+\\s+read\\s+/3/0/9\\s`));
  t.regex(lines[2]!, /^[0-9a-f]{16}\s+\d+\s+write-composite\s+\/3\/0\/14,\/3\/0\/15\s/);

  r = await cli(['request', id, '--cancel'], env);
  t.deepEqual([r.code, r.stdout], [0, `cancelled request ${id} (read for sleeper-cli)\n`], r.stderr);
  r = await cli(['request', id, '--cancel'], env);
  t.is(r.code, 1);
  t.regex(r.stderr, /is cancelled; only a pending request can be cancelled \(LWM2M_ERR_PRECONDITION_FAILED\)/);
  t.is(r.stderr.trim().split('\n').length, 1);
  r = await cli(['request', id, '--json'], env);
  t.is((JSON.parse(r.stdout) as QueuedRequest).status, 'cancelled');
  r = await cli(['request', id], env);
  t.regex(r.stdout, new RegExp(`^id +${id}\\nendpoint +sleeper-cli\\noperation +read\\npath +/3/0/9\\nstatus +cancelled\\ncreated +\\S+\\nupdated +\\S+\\n$`));
  r = await cli(['requests', 'sleeper-cli', '--json'], env);
  const [composite] = JSON.parse(r.stdout) as QueuedRequest[];
  t.is(composite?.operation, 'write-composite');

  // Delivered at wake-up; then the request shows its outcome, and a read its values.
  r = await cli(['read', 'sleeper-cli', '/3/0/14'], env);
  const readId = /queued as request ([0-9a-f]{16})/.exec(r.stdout)?.[1];
  t.truthy(readId, r.stdout);
  await d.wake();
  await eventually(async () => (await s.api<QueuedRequest>('GET', `/api/v1/requests/${readId}`)).body.status === 'succeeded');
  r = await cli(['request', composite!.id], env);
  t.regex(r.stdout, /^status +succeeded$/m);
  t.regex(r.stdout, /^result +2\.04$/m);
  r = await cli(['request', readId!], env);
  t.regex(r.stdout, /^result +2\.05\n\nPATH +VALUE +TYPE\n\/3\/0\/14 +\+01:00 +string\n$/m);
});

test('requests outlive a de-registration: listed meanwhile, delivered when the device registers again', async (t) => {
  const { s, d } = await sleepingDevice(t, 'sleeper-rereg');
  const events = await s.events('?ep=sleeper-rereg&type=request-result');
  const queued = await s.api<{ requestId: string }>('GET', '/api/v1/devices/sleeper-rereg/objects/3/0/9');
  t.is(queued.status, 202);
  t.is((await s.api('DELETE', '/api/v1/devices/sleeper-rereg')).status, 200, 'operator-side de-registration');
  t.is((await s.api('GET', '/api/v1/devices/sleeper-rereg')).status, 404);
  const waiting = await s.api<{ requests: QueuedRequest[] }>('GET', '/api/v1/devices/sleeper-rereg/requests');
  t.deepEqual(waiting.body.requests.map((r) => r.id), [queued.body.requestId]);

  await d.wake({ update: false });
  await d.register();
  const result = await events.next((e) => e.type === 'request-result');
  t.is((result.data.request as QueuedRequest).id, queued.body.requestId);
  t.deepEqual((result.data.result as OperationResult).values?.[0]?.value, { type: 'integer', value: 87 });
  t.deepEqual(d.requests.map((r) => `${r.method} ${r.path}`), ['GET /3/0/9']);
});

test('?ttl= (lwm2m --ttl) sets how long one queued request waits; a bad one is a 400', async (t) => {
  const { s } = await sleepingDevice(t, 'sleeper-ttl');
  const r = await s.api<{ request: QueuedRequest }>('GET', '/api/v1/devices/sleeper-ttl/objects/3/0/9?ttl=90');
  t.is(r.status, 202);
  t.is(r.body.request.expiresAt - r.body.request.createdAt, 90_000);
  const dflt = await s.api<{ request: QueuedRequest }>('GET', '/api/v1/devices/sleeper-ttl/objects/3/0/9');
  t.is(dflt.body.request.expiresAt - dflt.body.request.createdAt, 60_000, "the server's queue TTL");
  for (const ttl of ['0', '-5', 'soon', String(31 * 86_400)]) {
    const bad = await s.api<{ error: { code: string; message: string } }>('GET', `/api/v1/devices/sleeper-ttl/objects/3/0/9?ttl=${ttl}`);
    t.deepEqual([bad.status, bad.body.error.code], [400, 'LWM2M_ERR_BAD_API_REQUEST'], ttl);
  }
  const env = { LWM2M_URL: s.server.httpUrl(), LWM2M_TOKEN: s.adminTokenForTests() };
  const c = await cli(['exec', 'sleeper-ttl', '/3/0/4', '--ttl', '3600', '--json'], env);
  t.is(c.code, 0, c.stderr);
  const queued = JSON.parse(c.stdout) as { request: QueuedRequest };
  t.is(queued.request.expiresAt - queued.request.createdAt, 3_600_000);
});
