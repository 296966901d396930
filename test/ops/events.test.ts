import test from 'ava';
import type { Registration } from '../../src/store/types.js';
import { openStream, startOpsServer } from './helpers/ops-server.js';

function registration(endpoint: string): Registration {
  const now = Date.now();
  return { id: `id-${endpoint}`, endpoint, lifetime: 60, lwm2mVersion: '1.1', binding: 'U', queueMode: false, rootPath: '/', supportedFormats: [], objectLinks: [], address: { address: '127.0.0.1', port: 1 }, transport: 'coap', registeredAt: now, lastUpdate: now, expiresAt: now + 60_000 };
}

function notify(endpoint: string, i: number) {
  return { endpoint, token: 'ab', paths: ['/3303/0/5700'], values: [{ path: '/3303/0/5700', value: { type: 'float' as const, value: i } }], sequence: i };
}

test('events arrive in order with increasing ids, and resume after Last-Event-ID without loss', async (t) => {
  const { server, url, token } = await startOpsServer(t);
  const stream = await openStream(url, token);
  t.is(stream.status, 200);
  server.events.emit('registered', { registration: registration('dev-1') });
  for (let i = 0; i < 30; i++) server.events.emit('notification', notify('dev-1', i));
  const first = await stream.next(31);
  t.deepEqual(first.map((e) => e.event), ['registered', ...Array<string>(30).fill('notification')]);
  t.deepEqual(first.map((e) => Number(e.id)), Array.from({ length: 31 }, (_, i) => i + 1));
  t.deepEqual(first.slice(1).map((e) => (e.data.values as { value: { value: number } }[])[0]!.value.value), Array.from({ length: 30 }, (_, i) => i));
  t.is(first[0]!.data.endpoint, 'dev-1');
  stream.close();

  // While the client is away, more happens.
  for (let i = 30; i < 40; i++) server.events.emit('notification', notify('dev-1', i));
  server.events.emit('deregistered', { registration: registration('dev-1'), by: 'device' });

  const resumed = await openStream(url, token, { lastEventId: '31' });
  const missed = await resumed.next(11);
  t.deepEqual(missed.map((e) => Number(e.id)), Array.from({ length: 11 }, (_, i) => 32 + i));
  t.is(missed[10]!.event, 'deregistered');
  server.events.emit('notification', notify('dev-1', 99));
  const live = await resumed.next(1);
  t.is(live[0]!.id, '43', 'live events continue after the replay');
  resumed.close();
});

test('a resume beyond the bounded buffer says so with a gap event, then replays what is left', async (t) => {
  const { server, url, token } = await startOpsServer(t, { journalCapacity: 5 });
  // A client was connected: notifications are kept (for a while after it left) for its resume.
  const first = await openStream(url, token);
  first.close();
  for (let i = 0; i < 12; i++) server.events.emit('notification', notify('dev-1', i));
  const s = await openStream(url, token, { query: 'lastEventId=2' });
  const got = await s.next(6);
  t.is(got[0]!.event, 'gap');
  t.deepEqual(got[0]!.data, { lastEventId: 2, oldestId: 8, latestId: 12 });
  t.deepEqual(got.slice(1).map((e) => Number(e.id)), [8, 9, 10, 11, 12]);
  s.close();
});

test('with no stream client, value events only take their id: a replay that wants them starts with a gap, one that does not has none', async (t) => {
  const { server, url, token } = await startOpsServer(t);
  server.events.emit('registered', { registration: registration('dev-1') });
  for (let i = 0; i < 3; i++) server.events.emit('notification', notify('dev-1', i));
  server.events.emit('read', { endpoint: 'dev-1', values: [{ path: '/3/0/0', value: { type: 'string', value: 'acme' } }] });
  server.events.emit('deregistered', { registration: registration('dev-1'), by: 'device' });

  const all = await openStream(url, token, { lastEventId: '0' });
  const got = await all.next(3);
  t.is(got[0]!.event, 'gap');
  t.deepEqual(got[0]!.data, { lastEventId: 0, oldestId: 1, latestId: 6, notKept: ['notification', 'read', 'send'] });
  t.deepEqual(got.slice(1).map((e) => [e.event, Number(e.id)]), [['registered', 1], ['deregistered', 6]]);
  all.close();

  const regs = await openStream(url, token, { query: 'type=registered,deregistered&lastEventId=0' });
  t.deepEqual((await regs.next(2)).map((e) => [e.event, Number(e.id)]), [['registered', 1], ['deregistered', 6]]);
  // Connected: the next value events are streamed and kept for a resume.
  server.events.emit('notification', notify('dev-1', 3));
  server.events.emit('registered', { registration: registration('dev-1') });
  t.deepEqual((await regs.next(1)).map((e) => [e.event, Number(e.id)]), [['registered', 8]]);
  regs.close();
  const resumed = await openStream(url, token, { lastEventId: '6' });
  t.deepEqual((await resumed.next(2)).map((e) => [e.event, Number(e.id)]), [['notification', 7], ['registered', 8]]);
  resumed.close();
});

test('filters by endpoint (names and prefix*) and by type; quarantine events are streamed', async (t) => {
  const { server, ops, url, token } = await startOpsServer(t);
  const s = await openStream(url, token, { query: 'ep=dev-a*,x&type=notification,quarantine' });
  server.events.emit('registered', { registration: registration('dev-a1') });
  server.events.emit('notification', notify('other', 1));
  server.events.emit('notification', notify('dev-a1', 2));
  server.events.emit('notification', notify('x', 3));
  await ops.quarantine.quarantine('dev-a2', { reason: 'noisy', by: { kind: 'token', name: 'admin' } });
  const got = await s.next(3);
  t.deepEqual(got.map((e) => `${e.event}:${String(e.data.endpoint)}`), ['notification:dev-a1', 'notification:x', 'quarantine:dev-a2']);
  t.is(got[2]!.data.action, 'quarantined');
  t.is(got[2]!.data.reason, 'noisy');
  s.close();
});

test('an unknown event type or a bad Last-Event-ID is a coded 400', async (t) => {
  const { url, token } = await startOpsServer(t);
  const bad = await fetch(`${url}/api/v1/events?type=nope`, { headers: { authorization: `Bearer ${token}` } });
  t.is(bad.status, 400);
  t.is(((await bad.json()) as { error: { code: string } }).error.code, 'LWM2M_ERR_BAD_API_REQUEST');
  const badId = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}`, 'last-event-id': 'x1' } });
  t.is(badId.status, 400);
});
