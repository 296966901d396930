import test from 'ava';
import type { IncomingResponse, OutgoingRequest } from '../../src/coap/types.js';
import { decodeValues, encodeValues } from '../../src/content/index.js';
import { formatPath } from '../../src/content/path.js';
import { Lwm2mError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { parseBootstrapConfig } from '../../src/lwm2m/bootstrap/config-json.js';
import { BootstrapSession } from '../../src/lwm2m/bootstrap/session.js';
import type { BootstrapEvent } from '../../src/lwm2m/bootstrap/types.js';
import { builtinModels } from './helpers/harness.js';

type Answer = (req: OutgoingRequest) => Partial<IncomingResponse> | Error;

/** A session against a scripted device; `answer` may override any request, else the device says yes. */
async function run(config: Record<string, unknown>, answer: Answer = () => ({}), pct?: number) {
  const sent: OutgoingRequest[] = [];
  const events: BootstrapEvent[] = [];
  const models = await builtinModels();
  const session = new BootstrapSession({
    id: 'sid',
    endpoint: 'ep',
    config: parseBootstrapConfig({ endpoint: 'ep', ...config }),
    ...(pct === undefined ? {} : { pct }),
    transport: 'coap',
    address: '127.0.0.1:1',
    send: async (req) => {
      sent.push(req);
      const a = answer(req);
      if (a instanceof Error) throw a;
      const code = req.method === 'GET' ? '2.05' : req.method === 'DELETE' ? '2.02' : '2.04';
      const payload = req.method === 'GET' && req.accept === 40 ? Buffer.from('</>;lwm2m=1.1,</0/0>') : Buffer.alloc(0);
      return { code, payload, locationPath: [], peer: { address: '127.0.0.1', port: 1 }, token: Buffer.alloc(0), confirmable: false, ...(req.accept === 40 ? { contentFormat: 40 } : {}), ...a };
    },
    models,
    emit: (e) => events.push(e),
    logger: silentLogger(),
    now: () => 1000,
    requestTimeoutMs: 1000,
  });
  const info = await session.run();
  return { info, sent, events, models };
}

const SERVER = { servers: [{ uri: 'coap://127.0.0.1:5683', shortServerId: 2 }] };
const line = (r: OutgoingRequest) => `${r.method} /${r.path.join('/')}${r.contentFormat === undefined ? '' : ` ${r.contentFormat}`}`;

test('ACL instances are written after the accounts, with one resource instance per Short Server ID', async (t) => {
  const { info, sent, models } = await run({ ...SERVER, acls: [{ objectId: 3, objectInstanceId: 0, acl: { '2': 7, '0': 1 }, owner: 2 }] }, () => ({}), 11542);
  t.is(info.state, 'finished');
  t.deepEqual(sent.map(line), ['GET /', 'DELETE /0', 'DELETE /1', 'PUT /0/1 11542', 'PUT /1/0 11542', 'PUT /2/0 11542', 'POST /bs']);
  const acl = sent[5]!;
  const values = decodeValues(11542, acl.payload!, { objectId: 2, instanceId: 0 }, { models });
  t.deepEqual(values.map((v) => `${formatPath(v.path)}=${String(v.value.value)}`), ['/2/0/0=3', '/2/0/1=0', '/2/0/2/0=1', '/2/0/2/2=7', '/2/0/3=2']);
});

test('Bootstrap-Read of /1 (LwM2M 1.1) is decoded into the session report', async (t) => {
  const models = await builtinModels();
  const existing = encodeValues(112, [{ path: { objectId: 1, instanceId: 0, resourceId: 0 }, value: { type: 'integer', value: 9 } }], { models }, { objectId: 1 });
  const { info, sent, events } = await run({ ...SERVER, read: ['/1'] }, (req) => (req.method === 'GET' && req.accept !== 40 ? { contentFormat: 112, payload: Buffer.from(existing) } : {}), 112);
  t.deepEqual(sent.slice(0, 2).map((r) => `${r.method} /${r.path.join('/')} accept ${r.accept}`), ['GET / accept 40', 'GET /1 accept 112']);
  t.deepEqual(info.readValues, [{ path: '/1/0/0', value: { type: 'integer', value: 9 } }]);
  t.deepEqual(events.map((e) => e.state), ['started', 'discovered', 'read', 'deleted', 'written', 'finished']);
});

test('Bootstrap-Finish answered 4.06 fails the session with the device diagnostic', async (t) => {
  const { info, events } = await run(SERVER, (req) => (req.method === 'POST' ? { code: '4.06', payload: Buffer.from('no server account') } : {}));
  t.is(info.state, 'failed');
  t.deepEqual(info.error, { code: 'LWM2M_ERR_DEVICE_ERROR', message: 'Bootstrap-Finish answered 4.06: no server account' });
  t.is(events.at(-1)?.state, 'failed');
  t.deepEqual(events.at(-1)?.error, info.error);
  t.is(info.endedAt, 1000);
});

test('a Bootstrap-Delete refused with 4.05 stops the session before any write; 4.04 (nothing there) does not', async (t) => {
  const refused = await run(SERVER, (req) => (req.method === 'DELETE' ? { code: '4.05' } : {}));
  t.is(refused.info.state, 'failed');
  t.false(refused.sent.some((r) => r.method === 'PUT'));
  t.regex(refused.info.error!.message, /Bootstrap-Delete \/0 answered 4\.05/);
  const empty = await run(SERVER, (req) => (req.method === 'DELETE' ? { code: '4.04' } : {}));
  t.is(empty.info.state, 'finished');
});

test('when the device refuses every format, the session fails with LWM2M_ERR_UNSUPPORTED_FORMAT after trying each once', async (t) => {
  const { info, sent } = await run(SERVER, (req) => (req.method === 'PUT' ? { code: '4.15' } : {}), 110);
  t.is(info.state, 'failed');
  t.is(info.error?.code, 'LWM2M_ERR_UNSUPPORTED_FORMAT');
  t.deepEqual(sent.filter((r) => r.method === 'PUT').map((r) => r.contentFormat), [110, 112, 11542]);
});

test('without a Discover answer the version is unknown and TLV goes first; a write error other than 4.15/4.06 fails', async (t) => {
  const ok = await run(SERVER, (req) => (req.method === 'GET' ? { code: '4.04', contentFormat: undefined, payload: Buffer.alloc(0) } : {}));
  t.is(ok.info.state, 'finished');
  t.is(ok.info.lwm2mVersion, undefined);
  t.true(ok.sent.filter((r) => r.method === 'PUT').every((r) => r.contentFormat === 11542));
  const bad = await run(SERVER, (req) => (req.method === 'PUT' ? { code: '4.00' } : {}));
  t.regex(bad.info.error!.message, /Bootstrap-Write \/0\/1 \(security of server 2\) answered 4\.00/);
});

test('new Security instances avoid the bootstrap account the device keeps; the configured bootstrap account is rewritten in place', async (t) => {
  const discover = (payload: string) => (req: OutgoingRequest) => (req.method === 'GET' ? { payload: Buffer.from(payload) } : {});
  const a = await run(SERVER, discover('</>;lwm2m=1.1,</0/0>,</0/1>;ssid=2,</0/5>,</1/0>;ssid=2'));
  t.deepEqual(a.sent.filter((r) => r.method === 'PUT').map((r) => `/${r.path.join('/')}`), ['/0/1', '/1/0'], 'ids 0 and 5 are kept (no ssid)');
  const b = await run({ ...SERVER, bootstrap: { uri: 'coap://127.0.0.1:5685' } }, discover('</>;lwm2m=1.1,</0/7>'));
  t.deepEqual(b.sent.filter((r) => r.method === 'PUT').map((r) => `/${r.path.join('/')}`), ['/0/7', '/0/0', '/1/0']);
});

test('a device that stops answering fails the session with LWM2M_ERR_TIMEOUT, even during Discover', async (t) => {
  const { info, sent } = await run(SERVER, () => new Lwm2mError('LWM2M_ERR_TIMEOUT', 'no response in time'));
  t.is(sent.length, 1);
  t.is(info.state, 'failed');
  t.is(info.error?.code, 'LWM2M_ERR_TIMEOUT');
  t.is(info.steps[0]?.error, 'no response in time');
});
