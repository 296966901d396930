import test from 'ava';
import type { IncomingResponse, OutgoingRequest } from '../../src/coap/types.js';
import { decodeValues } from '../../src/content/index.js';
import { formatPath, parsePath } from '../../src/content/path.js';
import type { TimestampedValue } from '../../src/content/types.js';
import { parseBootstrapConfig } from '../../src/lwm2m/bootstrap/config-json.js';
import { BootstrapSession } from '../../src/lwm2m/bootstrap/session.js';
import { silentLogger } from '../../src/log.js';
import { loadCapture, optionValue, payloadOf, type CapturedDatagram } from '../helpers/captures.js';
import { builtinModels } from './helpers/harness.js';

/**
 * The writes of Wakaama's bootstrap_server, recorded in fixtures/captures (wakaama-bootstrap:
 * SenML JSON to a client that asked with pct=110; leshan-bootstrap: TLV to a 1.0 client that
 * sent no pct), against what our session sends for the same configuration (the INI of that run:
 * server 1 at coap://127.0.0.1:5683, NoSec, lifetime 300, binding U, no notification storing;
 * bootstrap account 100 (ssid 100) at coap://127.0.0.1:5685).
 */
const CONFIG = parseBootstrapConfig({
  endpoint: 'captured',
  servers: [{ shortServerId: 1, uri: 'coap://127.0.0.1:5683', lifetime: 300, binding: 'U', notificationStoring: false, securityInstanceId: 1, serverInstanceId: 1 }],
  bootstrap: { uri: 'coap://127.0.0.1:5685', instanceId: 100, shortServerId: 100, security: { mode: 'nosec' } },
});

interface Write {
  path: string;
  format: number;
  payload: Buffer;
}

function capturedWrites(capture: CapturedDatagram[]): Write[] {
  return capture
    .filter((d) => d.dir === 'server->client' && d.coap.code === '0.03')
    .map((d) => ({
      path: `/${d.coap.options.filter((o) => o.name === 'Uri-Path').map((o) => String(o.value)).join('/')}`,
      format: optionValue(d, 'Content-Format') as number,
      payload: payloadOf(d),
    }));
}

/** Runs our session against a device that answers like the captured client did. */
async function ourWrites(capture: CapturedDatagram[], pct: number | undefined): Promise<Write[]> {
  const discover = capture.find((d) => d.dir === 'client->server' && optionValue(d, 'Content-Format') === 40 && d.coap.code === '2.05')!;
  const writes: Write[] = [];
  const answer = (req: OutgoingRequest): IncomingResponse => {
    const base = { payload: Buffer.alloc(0), locationPath: [], peer: { address: '127.0.0.1', port: 1 }, token: Buffer.alloc(4), confirmable: false };
    if (req.method === 'GET') return { ...base, code: '2.05', contentFormat: 40, payload: payloadOf(discover) };
    if (req.method === 'DELETE') return { ...base, code: '2.02' };
    if (req.method === 'PUT') writes.push({ path: `/${req.path.join('/')}`, format: req.contentFormat!, payload: req.payload! });
    return { ...base, code: '2.04' };
  };
  const session = new BootstrapSession({
    id: 's',
    endpoint: 'captured',
    config: CONFIG,
    ...(pct === undefined ? {} : { pct }),
    transport: 'coap',
    address: '127.0.0.1:1',
    send: async (req) => answer(req),
    models: await builtinModels(),
    emit: () => undefined,
    logger: silentLogger(),
    now: () => 0,
    requestTimeoutMs: 1000,
  });
  const info = await session.run();
  if (info.state !== 'finished') throw new Error(`session ${info.state}: ${info.error?.message}`);
  return writes;
}

async function valuesOf(w: Write): Promise<Map<string, unknown>> {
  const values: TimestampedValue[] = decodeValues(w.format, w.payload, parsePath(w.path), { models: await builtinModels() });
  return new Map(values.map((v) => [formatPath(v.path), v.value.type === 'opaque' ? Buffer.from(v.value.value).toString('hex') : v.value.value]));
}

/** Top-level TLV records (LwM2M 1.1 Core §7.4.3 header: type, id length, length type). */
function tlvRecords(b: Buffer): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.length; ) {
    const h = b[i]!;
    const idLen = h & 0x20 ? 2 : 1;
    const lenType = (h >> 3) & 3;
    const len = lenType === 0 ? h & 7 : b.readUIntBE(i + 1 + idLen, lenType);
    const size = 1 + idLen + lenType + len;
    out.push(b.subarray(i, i + size).toString('hex'));
    i += size;
  }
  return out.sort();
}

for (const [file, pct, format] of [
  ['wakaama-bootstrap', 110, 110],
  ['leshan-bootstrap', undefined, 11542],
] as const) {
  test(`${file}: every captured Bootstrap-Write has a counterpart with the same path, format and values`, async (t) => {
    const capture = loadCapture(file);
    const theirs = capturedWrites(capture);
    t.deepEqual(theirs.map((w) => w.path), ['/0/1', '/1/1', '/0/100']);
    const ours = await ourWrites(capture, pct);
    t.deepEqual(ours.map((w) => w.path).sort(), theirs.map((w) => w.path).sort());
    for (const w of theirs) {
      const mine = ours.find((o) => o.path === w.path)!;
      t.is(w.format, format);
      t.is(mine.format, format, `${w.path} in the format the capture used`);
      const expected = await valuesOf(w);
      const actual = await valuesOf(mine);
      for (const [path, value] of expected) t.deepEqual(actual.get(path), value, `${path} as in the capture`);
      // What we add beyond Wakaama's server: the Mandatory key resources, empty for NoSec.
      const extra = [...actual.keys()].filter((p) => !expected.has(p));
      t.deepEqual(extra, w.path.startsWith('/0/') ? [`${w.path}/3`, `${w.path}/4`, `${w.path}/5`] : [], `${w.path}: only /0/x/3-5 added`);
      if (format === 11542) {
        // Byte-level: each TLV record Wakaama wrote is one of ours (its order is 0,1,10,2; ours ascending).
        const mineRecords = tlvRecords(mine.payload);
        for (const r of tlvRecords(w.payload)) t.true(mineRecords.includes(r), `${w.path}: TLV record ${r}`);
      }
    }
  });
}

test('a LwM2M 1.0 client gets every Mandatory Security and Server resource (the capture shows Leshan failing without /0/x/3-5)', async (t) => {
  const models = await builtinModels();
  const ours = await ourWrites(loadCapture('leshan-bootstrap'), undefined);
  for (const objectId of [0, 1]) {
    const mandatory = models.object(objectId, '1.0')!.resources.filter((r) => r.mandatory && r.operations !== 'E').map((r) => r.id);
    for (const w of ours.filter((o) => o.path.startsWith(`/${objectId}/`))) {
      const written = new Set([...(await valuesOf(w)).keys()].map((p) => Number(p.split('/')[3])));
      for (const rid of mandatory) t.true(written.has(rid), `${w.path}/${rid} is written`);
    }
  }
  // And the captured server's /0/1 lacked exactly those.
  const theirs = capturedWrites(loadCapture('leshan-bootstrap')).find((w) => w.path === '/0/1')!;
  const theirIds = [...(await valuesOf(theirs)).keys()].map((p) => Number(p.split('/')[3]));
  t.false([3, 4, 5].some((rid) => theirIds.includes(rid)));
});
