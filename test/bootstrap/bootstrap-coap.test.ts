import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseBootstrapConfig } from '../../src/lwm2m/bootstrap/config-json.js';
import { bootstrapTriggerOperation } from '../../src/lwm2m/bootstrap/trigger.js';
import { startServer } from '../../src/server.js';
import { peerOfUri, plainClient, startBootstrap, udpEndpoint, until } from './helpers/harness.js';

async function lwm2mServer() {
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-bs-'));
  // This test runs its own bootstrap server; the embedded one (once wired) stays off, and so does DTLS (fixed ports).
  const input = { dataDir: dir, storage: 'memory' as const, coap: { host: '127.0.0.1', port: 0 }, http: { enabled: false }, dtls: { enabled: false }, bootstrap: { enabled: false }, logLevel: 'silent' };
  const server = await startServer(input);
  return {
    server,
    uri: `coap://127.0.0.1:${server.coapAddress().port}`,
    close: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const valueAt = (values: { path: { resourceId?: number }; value: { value: unknown } }[] | undefined, rid: number) => values?.find((v) => v.path.resourceId === rid)?.value.value;

test('a client with only a bootstrap account is bootstrapped over CoAP and then registers with the delivered server', async (t) => {
  const lw = await lwm2mServer();
  const bs = await startBootstrap();
  t.teardown(async () => {
    await bs.close();
    await lw.close();
  });
  await bs.configs.add(parseBootstrapConfig({ endpoint: 'dev-coap', servers: [{ shortServerId: 7, uri: lw.uri, lifetime: 120, binding: 'U' }] }));
  const { client, coap } = await plainClient(bs.listeners.coapAddress(), { endpoint: 'dev-coap', preferredFormat: 110 });
  t.teardown(() => coap.close());

  await client.bootstrap();
  await bs.service.idle();

  // Every request, in order: Discover, the two deletes, one Security and one Server write, Finish.
  t.deepEqual(
    client.received.map((r) => `${r.method} ${r.path} ${r.code}`),
    ['GET / 2.05', 'DELETE /0 2.02', 'DELETE /1 2.02', 'PUT /0/1 2.04', 'PUT /1/0 2.04', 'POST /bs 2.04'],
  );
  const writes = client.received.filter((r) => r.method === 'PUT');
  t.true(writes.every((w) => w.contentFormat === 110), 'pct=110 is honoured');
  const sec = writes[0]!.values;
  t.is(valueAt(sec, 0), lw.uri);
  t.is(valueAt(sec, 1), false);
  t.is(valueAt(sec, 2), 3, 'NoSec');
  for (const rid of [3, 4, 5]) t.deepEqual(Buffer.from(valueAt(sec, rid) as Uint8Array), Buffer.alloc(0), `/0/1/${rid} is written, empty`);
  t.is(valueAt(sec, 10), 7);
  const srv = writes[1]!.values;
  t.is(valueAt(srv, 0), 7);
  t.is(valueAt(srv, 1), 120);
  t.is(valueAt(srv, 6), true);
  t.is(valueAt(srv, 7), 'U');
  // The factory bootstrap account /0/0 survived the Bootstrap-Delete of /0.
  t.true(client.accounts().some((a) => a.bootstrap && a.securityInstanceId === 0));

  const states = bs.events.map((e) => e.state);
  t.deepEqual(states, ['started', 'discovered', 'deleted', 'written', 'finished']);
  t.true(bs.events.every((e) => e.endpoint === 'dev-coap' && e.sessionId === bs.events[0]!.sessionId));
  const [session] = bs.service.sessions('dev-coap');
  t.is(session?.state, 'finished');
  t.is(session?.lwm2mVersion, '1.1');
  t.is(session?.format, 110);

  const account = client.accounts().find((a) => !a.bootstrap)!;
  const location = await client.register(account, coap, peerOfUri(account.uri));
  t.is(location[0], 'rd');
  const reg = await lw.server.stores.registrations.getByEndpoint('dev-coap');
  t.is(reg?.lifetime, 120);
  t.is(reg?.transport, 'coap');
});

test('a LwM2M 1.0 client without pct gets TLV with every mandatory Security resource, and Finish accepts it', async (t) => {
  const bs = await startBootstrap();
  t.teardown(() => bs.close());
  await bs.configs.add(parseBootstrapConfig({ endpoint: 'dev-10', servers: [{ uri: 'coap://127.0.0.1:5683', lifetime: 300 }] }));
  const { client, coap } = await plainClient(bs.listeners.coapAddress(), { endpoint: 'dev-10', lwm2mVersion: '1.0', acceptedFormats: [11542] });
  t.teardown(() => coap.close());
  await client.bootstrap();
  await bs.service.idle();
  const writes = client.received.filter((r) => r.method === 'PUT');
  t.true(writes.length === 2 && writes.every((w) => w.contentFormat === 11542));
  const security = client.instance(0, 1)!;
  t.deepEqual([...security.keys()].sort((a, b) => Number(a) - Number(b)), ['0', '1', '2', '3', '4', '5', '10']);
  t.is(client.finishes, 1);
  t.is(bs.service.sessions('dev-10')[0]?.lwm2mVersion, '1.0');
});

test('a refused format falls back: 1.1 without pct tries SenML CBOR, gets 4.15, continues in SenML JSON', async (t) => {
  const bs = await startBootstrap();
  t.teardown(() => bs.close());
  await bs.configs.add(parseBootstrapConfig({ endpoint: 'dev-fb', servers: [{ uri: 'coap://127.0.0.1:5683' }, { uri: 'coap://127.0.0.1:6683' }] }));
  const { client, coap } = await plainClient(bs.listeners.coapAddress(), { endpoint: 'dev-fb', acceptedFormats: [110, 11542] });
  t.teardown(() => coap.close());
  await client.bootstrap();
  await bs.service.idle();
  const writes = client.received.filter((r) => r.method === 'PUT').map((w) => `${w.path} ${w.contentFormat} ${w.code}`);
  t.deepEqual(writes, ['/0/1 112 4.15', '/0/1 110 2.04', '/1/0 110 2.04', '/0/2 110 2.04', '/1/1 110 2.04']);
  t.deepEqual(client.accounts().filter((a) => !a.bootstrap).map((a) => a.shortServerId), [1, 2]);
});

test('an endpoint without a configuration gets 4.00; with a default configuration it is bootstrapped', async (t) => {
  const bs = await startBootstrap();
  t.teardown(() => bs.close());
  const { client, coap } = await plainClient(bs.listeners.coapAddress(), { endpoint: 'stranger' });
  t.teardown(() => coap.close());
  const err = await t.throwsAsync(client.bootstrap(1000));
  t.regex(err!.message, /4\.00/);
  t.is(bs.events.length, 0);
  await bs.configs.add(parseBootstrapConfig({ endpoint: '*', servers: [{ uri: 'coap://127.0.0.1:5683' }] }));
  await client.bootstrap();
  await bs.service.idle();
  t.is(bs.service.sessions('stranger')[0]?.state, 'finished');
});

test('a device that goes away mid-session fails the session with a timeout event', async (t) => {
  const bs = await startBootstrap({ requestTimeoutMs: 400 });
  t.teardown(() => bs.close());
  await bs.configs.add(parseBootstrapConfig({ endpoint: 'gone', servers: [{ uri: 'coap://127.0.0.1:5683' }] }));
  const coap = await udpEndpoint();
  // No handler answers: the Bootstrap-Request goes out, then the socket closes.
  const res = await coap.request(bs.listeners.coapAddress(), { method: 'POST', path: ['bs'], query: ['ep=gone'] });
  t.is(res.code, '2.04');
  await coap.close();
  t.true(await until(() => bs.events.some((e) => e.state === 'failed'), 5000));
  const failed = bs.events.find((e) => e.state === 'failed')!;
  t.is(failed.error?.code, 'LWM2M_ERR_TIMEOUT');
  t.is(bs.service.sessions('gone')[0]?.state, 'failed');
});

test('a second Bootstrap-Request gets a fresh session and cancels the running one', async (t) => {
  const bs = await startBootstrap();
  t.teardown(() => bs.close());
  await bs.configs.add(parseBootstrapConfig({ endpoint: 'again', servers: [{ uri: 'coap://127.0.0.1:5683' }] }));
  const device = await udpEndpoint();
  t.teardown(() => device.close());
  const to = bs.listeners.coapAddress();
  let requests = 0;
  // A scripted device: before answering the first request of the first session, it bootstraps again.
  device.onRequest(async (req) => {
    if (++requests === 1) t.is((await device.request(to, { method: 'POST', path: ['bs'], query: ['ep=again'] })).code, '2.04');
    if (req.method === 'GET') return { code: '2.05', contentFormat: 40, payload: Buffer.from('</>;lwm2m=1.1,</0/0>') };
    return { code: req.method === 'DELETE' ? '2.02' : '2.04' };
  });
  t.is((await device.request(to, { method: 'POST', path: ['bs'], query: ['ep=again'] })).code, '2.04');
  t.true(await until(() => bs.service.sessions('again').length === 2 && bs.service.sessions('again').every((s) => s.endedAt !== undefined)));
  const sessions = bs.service.sessions('again');
  t.deepEqual(sessions.map((s) => s.state), ['finished', 'cancelled'], 'newest first');
  t.not(sessions[0]!.sessionId, sessions[1]!.sessionId);
  t.is(sessions[1]!.steps.length, 1, 'the old session stopped after its request in flight');
  t.true(bs.events.some((e) => e.state === 'cancelled' && e.detail === 'replaced by a new Bootstrap-Request'));
});

test('Bootstrap-Request with a bad pct or without ep is 4.00; other methods on /bs are 4.05', async (t) => {
  const bs = await startBootstrap();
  t.teardown(() => bs.close());
  const coap = await udpEndpoint();
  t.teardown(() => coap.close());
  const to = bs.listeners.coapAddress();
  t.is((await coap.request(to, { method: 'POST', path: ['bs'], query: ['ep=x', 'pct=abc'] })).code, '4.00');
  t.is((await coap.request(to, { method: 'POST', path: ['bs'], query: [] })).code, '4.00');
  t.is((await coap.request(to, { method: 'POST', path: ['bs'], query: ['ep=a', 'ep=b'] })).code, '4.00');
  t.is((await coap.request(to, { method: 'GET', path: ['bs'] })).code, '4.05');
  t.is((await coap.request(to, { method: 'POST', path: ['rd'], query: ['ep=x'] })).code, '4.04');
});

test('server-initiated bootstrap: Execute /1/x/9 through the LwM2M server makes the device bootstrap again', async (t) => {
  const lw = await lwm2mServer();
  const bs = await startBootstrap();
  t.teardown(async () => {
    await bs.close();
    await lw.close();
  });
  await bs.configs.add(parseBootstrapConfig({ endpoint: 'dev-trig', servers: [{ shortServerId: 1, uri: lw.uri, lifetime: 120 }] }));
  const { client, coap } = await plainClient(bs.listeners.coapAddress(), { endpoint: 'dev-trig' });
  t.teardown(() => coap.close());
  await client.bootstrap();
  await bs.service.idle();
  const account = client.accounts().find((a) => !a.bootstrap)!;
  await client.register(account, coap, peerOfUri(account.uri));

  const op = await bootstrapTriggerOperation(lw.server.stores.registrations, 'dev-trig');
  t.deepEqual(op, { op: 'execute', path: '/1/0/9' });
  const submission = await lw.server.dispatcher.submit('dev-trig', op);
  t.true(!submission.queued && submission.result.ok, JSON.stringify(submission));
  t.is(client.triggers, 1);
  await client.triggered;
  await bs.service.idle();
  const sessions = bs.service.sessions('dev-trig');
  t.deepEqual(sessions.map((s) => s.state), ['finished', 'finished']);
  t.not(sessions[0]!.sessionId, sessions[1]!.sessionId);
});

test('closing the bootstrap listeners cancels a running session at once and refuses new requests', async (t) => {
  const bs = await startBootstrap({ requestTimeoutMs: 60_000 });
  await bs.configs.add(parseBootstrapConfig({ endpoint: 'slow', servers: [{ uri: 'coap://127.0.0.1:5683' }] }));
  const device = await udpEndpoint();
  t.teardown(() => device.close());
  device.onRequest(() => new Promise(() => undefined)); // never answers (an empty ACK only)
  t.is((await device.request(bs.listeners.coapAddress(), { method: 'POST', path: ['bs'], query: ['ep=slow'] })).code, '2.04');
  t.true(await until(() => bs.events.some((e) => e.state === 'started')));
  const started = Date.now();
  await bs.close();
  t.true(Date.now() - started < 5000, 'did not wait for the 60 s request timeout');
  t.is(bs.service.sessions('slow')[0]?.state, 'cancelled');
  t.is(bs.events.at(-1)?.detail, 'bootstrap server stopped');
});
