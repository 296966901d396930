import test from 'ava';
import { formatPath } from '../../src/content/path.js';
import { senmlCborCodec } from '../../src/content/senml-cbor.js';
import { senmlJsonCodec } from '../../src/content/senml-json.js';
import { nodeToValues } from '../../src/content/tree.js';
import type { CompositeCodec, LwM2mValue, TimestampedValue } from '../../src/content/types.js';
import { capturedPayloads, type CapturedPayload } from './_b/capture-payloads.js';
import { ctxOf } from './_b/models.js';

const ctx = ctxOf();
const codecFor = (format: number): CompositeCodec => (format === 110 ? senmlJsonCodec : senmlCborCodec);

/** Decodes one captured payload the way the server would, by what it is. */
function decodeCaptured(p: CapturedPayload): TimestampedValue[] | string[] {
  const codec = codecFor(p.format);
  switch (p.kind) {
    case 'read-composite':
      return codec.decodePaths(p.payload, ctx).map(formatPath);
    case 'send':
    case 'write-composite':
      return codec.decodeValues(p.payload, ctx);
    default:
      return nodeToValues(codec.decode(p.payload, p.path, ctx), p.path);
  }
}

const all = capturedPayloads([110, 112]);

test('the captures hold SenML JSON and SenML CBOR payloads of every kind', (t) => {
  const kinds = new Set(all.map((p) => `${p.format}/${p.kind}`));
  for (const k of ['110/response', '110/send', '110/write', '110/read-composite', '110/write-composite', '112/response', '112/send', '112/write']) {
    t.true(kinds.has(k), k);
  }
  t.true(all.length >= 70, `found ${all.length}`);
});

test('every captured SenML JSON and SenML CBOR payload decodes', (t) => {
  for (const p of all) {
    try {
      const out = decodeCaptured(p);
      t.true(Array.isArray(out), `${p.file} mid ${p.mid}`);
    } catch (e) {
      t.fail(`${p.file} mid ${p.mid} (${p.note}): ${String(e)}`);
    }
  }
});

function valueAt(p: CapturedPayload, path: string): LwM2mValue | undefined {
  const out = decodeCaptured(p) as TimestampedValue[];
  return out.find((v) => formatPath(v.path) === path)?.value;
}

function find(file: string, pred: (p: CapturedPayload) => boolean): CapturedPayload {
  const p = all.find((x) => x.file === file && pred(x));
  if (!p) throw new Error(`no payload in ${file}`);
  return p;
}

test('Wakaama Read /3/0 in SenML JSON: strings, multiple resources and a time', (t) => {
  const p = find('wakaama-read-formats.jsonl', (x) => x.format === 110 && formatPath(x.path) === '/3/0');
  t.deepEqual(valueAt(p, '/3/0/0'), { type: 'string', value: 'Open Mobile Alliance' });
  t.deepEqual(valueAt(p, '/3/0/6/1'), { type: 'integer', value: 5 });
  t.is(valueAt(p, '/3/0/13')?.type, 'time');
  const node = senmlJsonCodec.decode(p.payload, p.path, ctx);
  t.is(node.kind, 'instance');
  const r6 = node.kind === 'instance' ? node.resources.find((r) => r.id === 6) : undefined;
  t.is(r6?.kind, 'multipleResource');
});

test('Wakaama floats like -30.0 and -28.99000000000000 decode as floats', (t) => {
  const p = find('wakaama-read-formats.jsonl', (x) => x.format === 110 && formatPath(x.path) === '/31024');
  t.deepEqual(valueAt(p, '/31024/10/3'), { type: 'float', value: -30 });
  t.deepEqual(valueAt(p, '/31024/11/3'), { type: 'float', value: -28.99 });
  t.deepEqual(valueAt(p, '/31024/12/5'), { type: 'string', value: 'II' });
});

test('Wakaama opaque /6/0/4 in standard base64 "vd" decodes to its bytes', (t) => {
  const p = find('wakaama-read-formats.jsonl', (x) => x.format === 110 && formatPath(x.path) === '/6/0/4');
  const v = valueAt(p, '/6/0/4');
  t.is(v?.type, 'opaque');
  t.is(Buffer.from(v!.value as Uint8Array).toString('hex'), '20000000ff');
});

test('Wakaama strings with stray bytes keep the payload readable (U+FFFD)', (t) => {
  const p = find('wakaama-create-delete.jsonl', (x) => x.payload.includes(Buffer.from([0xe8])));
  t.deepEqual(valueAt(p, '/31024/20/5'), { type: 'string', value: 'new\ufffdgU' });
  t.deepEqual(valueAt(p, '/31024/20/3'), { type: 'float', value: 1.5 });
});

test('Wakaama notifications and Send in SenML JSON', (t) => {
  const notes = all.filter((x) => x.file === 'wakaama-observe.jsonl' && x.format === 110 && x.note.startsWith('Notify'));
  t.true(notes.length >= 4);
  t.deepEqual(
    notes.map((n) => (decodeCaptured(n) as TimestampedValue[]).map((v) => `${formatPath(v.path)}=${String(v.value.value)}`).join()),
    ['/3/0/9=45', '/3/0/9=46', '/3/0/9=47', '/3/0/9=48'],
  );
  const send = find('wakaama-send.jsonl', (x) => x.payload.toString().includes('"bn":"/"'));
  t.deepEqual(
    (decodeCaptured(send) as TimestampedValue[]).map((v) => `${formatPath(v.path)}=${String(v.value.value)}`),
    ['/3/0/9=100', '/31024/10/1=20', '/1/0/1=300'],
  );
});

test('bootstrap SenML JSON writes from wakaama bootstrap_server', (t) => {
  const writes = all.filter((x) => x.file === 'wakaama-bootstrap.jsonl' && x.kind === 'write');
  t.deepEqual(writes.map((w) => formatPath(w.path)), ['/0/1', '/1/1', '/0/100']);
  t.deepEqual(valueAt(writes[0]!, '/0/1/0'), { type: 'string', value: 'coap://127.0.0.1:5683' });
  t.deepEqual(valueAt(writes[0]!, '/0/1/1'), { type: 'boolean', value: false });
  t.deepEqual(valueAt(writes[1]!, '/1/1/1'), { type: 'integer', value: 300 });
  t.deepEqual(valueAt(writes[2]!, '/0/100/1'), { type: 'boolean', value: true });
});

test('composite requests in the captures: path lists and path/value records', (t) => {
  const fetch = find('wakaama-composite.jsonl', (x) => x.kind === 'read-composite' && formatPath(x.path) === '/');
  t.deepEqual(decodeCaptured(fetch), ['/3/0/0', '/3/0/9', '/1/0/1']);
  const patch = find('wakaama-composite.jsonl', (x) => x.kind === 'write-composite');
  t.deepEqual(
    (decodeCaptured(patch) as TimestampedValue[]).map((v) => [formatPath(v.path), v.value]),
    [
      ['/31024/10/1', { type: 'integer', value: 33 }],
      ['/3/0/14', { type: 'string', value: '+04:00' }],
    ],
  );
});

test('Wakaama SenML CBOR: half and single floats, integer times, byte-string opaque', (t) => {
  const loc = find('wakaama-senmlcbor.jsonl', (x) => x.format === 112 && formatPath(x.path) === '/6/0');
  t.is(valueAt(loc, '/6/0/3')?.type, 'float');
  t.is(valueAt(loc, '/6/0/0')?.value, Buffer.from('41dfe376', 'hex').readFloatBE(0));
  t.is(valueAt(loc, '/6/0/5')?.type, 'time');
  t.is(Buffer.from(valueAt(loc, '/6/0/4')!.value as Uint8Array).toString('hex'), '20000000ff');
  const obj = find('wakaama-senmlcbor.jsonl', (x) => x.format === 112 && formatPath(x.path) === '/31024/10');
  t.deepEqual(valueAt(obj, '/31024/10/3'), { type: 'float', value: -30 });
  const dev = find('wakaama-senmlcbor.jsonl', (x) => x.format === 112 && formatPath(x.path) === '/3/0/0');
  t.deepEqual(valueAt(dev, '/3/0/0'), { type: 'string', value: 'Open Mobile Alliance' });
});

test('SenML CBOR encoding matches Wakaama byte for byte', (t) => {
  for (const p of all.filter((x) => x.format === 112 && x.kind === 'response' && !x.payload.includes(Buffer.from([0xd6, 0x55])))) {
    const node = senmlCborCodec.decode(p.payload, p.path, ctx);
    t.is(Buffer.from(senmlCborCodec.encode(node, p.path, ctx)).toString('hex'), p.payload.toString('hex'), `${p.file} mid ${p.mid}`);
  }
});
