import test from 'ava';
import { decodeOpaque, encodeOpaque } from '../../src/content/opaque.js';
import { formatPath, parsePath } from '../../src/content/path.js';
import { decodeText, encodeText } from '../../src/content/text.js';
import { decodeTlv, encodeTlv } from '../../src/content/tlv.js';
import type { LwM2mNode, ObjectNode } from '../../src/content/types.js';
import { Lwm2mError } from '../../src/errors.js';
import { capturedPayloads, type CapturedPayload } from './_payloads.js';
import { testContext } from './_models.js';

const ctx = testContext();
const all = capturedPayloads([0, 42, 11542, 1542]);
/** Execute arguments (§5.4.5) travel as text/plain but are not a resource value. */
const vectors = all.filter((p) => !p.note.startsWith('Execute'));

function decode(p: CapturedPayload): { node: LwM2mNode; warnings: string[] } {
  if (p.format === 0) return decodeText(p.payload, p.path, ctx);
  if (p.format === 42) return { node: decodeOpaque(p.payload, p.path, ctx), warnings: [] };
  return decodeTlv(p.payload, p.path, ctx);
}

function find(file: string, path: string, format: number, role: 'response' | 'request' = 'response'): CapturedPayload {
  const p = vectors.find((v) => v.file === `${file}.jsonl` && formatPath(v.path) === path && v.format === format && v.role === role);
  if (p === undefined) throw new Error(`no ${format} payload for ${path} in ${file}`);
  return p;
}

function valueAt(node: LwM2mNode, ...ids: number[]): unknown {
  let cur: LwM2mNode | undefined = node;
  for (const id of ids) {
    if (cur === undefined) return undefined;
    if (cur.kind === 'object') cur = cur.instances.find((i) => i.id === id);
    else if (cur.kind === 'instance') cur = cur.resources.find((r) => r.id === id);
    else if (cur.kind === 'multipleResource') cur = cur.instances.find((i) => i.id === id);
  }
  if (cur === undefined) return undefined;
  if (cur.kind === 'resource' || cur.kind === 'resourceInstance') return cur.value;
  if (cur.kind === 'multipleResource') return cur.instances.map((i) => i.value.value);
  return cur;
}

test('the captures hold enough TLV, text and opaque payloads to be a real test', (t) => {
  const count = (f: number) => vectors.filter((v) => v.format === f).length;
  t.true(count(11542) >= 60, `${count(11542)} TLV`);
  t.true(count(1542) >= 10, `${count(1542)} legacy TLV`);
  t.true(count(0) >= 100, `${count(0)} text`);
  t.true(count(42) >= 2, `${count(42)} opaque`);
});

test('every captured payload decodes, except the two the recorder sent on purpose as bad writes', (t) => {
  const failures: string[] = [];
  for (const p of vectors) {
    try {
      decode(p);
    } catch (e) {
      t.true(e instanceof Lwm2mError, `${p.file} ${p.note}: ${String(e)}`);
      failures.push(`${formatPath(p.path)} ${(e as Lwm2mError).coapCode}`);
    }
  }
  // "notanumber" written as text to the integer /1/0/1; opaque bytes written to a string resource.
  t.deepEqual(failures.sort(), ['/1/0/1 4.00', '/31024/10/5 4.15']);
});

test('Wakaama device values: manufacturer, power sources, current time', (t) => {
  const inst = decode(find('wakaama-read-formats', '/3/0', 11542)).node;
  t.deepEqual(valueAt(inst, 0), { type: 'string', value: 'Open Mobile Alliance' });
  t.deepEqual(valueAt(inst, 6), [1, 5]);
  t.deepEqual(valueAt(inst, 7), [3800, 5000]);
  t.deepEqual(decode(find('wakaama-read-formats', '/3/0/6', 11542)).node, {
    kind: 'multipleResource', id: 6, type: 'integer',
    instances: [{ kind: 'resourceInstance', id: 0, value: { type: 'integer', value: 1 } }, { kind: 'resourceInstance', id: 1, value: { type: 'integer', value: 5 } }],
  });
  // /3/0/13 does not fit 32 bits, so Wakaama sends 8 bytes; the text read shows the same time.
  t.deepEqual(decode(find('wakaama-read-formats', '/3/0/13', 11542)).node, { kind: 'resource', id: 13, value: { type: 'time', value: 3163055152 } });
  t.deepEqual(decode(find('wakaama-read-formats', '/3/0/13', 0)).node, { kind: 'resource', id: 13, value: { type: 'time', value: 3163055152 } });
});

test('the opaque /6/0/4 reads the same in TLV, octet-stream and base64 text', (t) => {
  const bytes = Uint8Array.of(0x20, 0, 0, 0, 0xff);
  const expected = { kind: 'resource', id: 4, value: { type: 'opaque', value: bytes } };
  t.deepEqual(decode(find('wakaama-read-formats', '/6/0/4', 11542)).node, expected);
  t.deepEqual(decode(find('wakaama-read-formats', '/6/0/4', 42)).node, expected);
  t.deepEqual(decode(find('wakaama-read-formats', '/6/0/4', 0)).node, expected);
});

test('a whole object arrives as wrapped instances (Wakaama /31024, Leshan /3)', (t) => {
  const obj = decode(find('wakaama-read-formats', '/31024', 11542)).node as ObjectNode;
  t.deepEqual(obj.instances.map((i) => i.id), [10, 11, 12]);
  t.deepEqual(valueAt(obj, 10, 3), { type: 'float', value: -30 });
  t.deepEqual(valueAt(obj, 10, 5), { type: 'string', value: '' });
  const leshan = decode(find('leshan-read-formats', '/3', 11542)).node as ObjectNode;
  t.deepEqual(valueAt(leshan, 0, 0), { type: 'string', value: 'Leshan Demo Device' });
});

test('Leshan writes 8-byte floats and 4-byte times; the values are the same', (t) => {
  t.deepEqual(decode(find('leshan-read-formats', '/3303/0/5700', 11542)).node, { kind: 'resource', id: 5700, value: { type: 'float', value: 20 } });
  t.deepEqual(decode(find('leshan-read-formats', '/3/0/13', 11542)).node, { kind: 'resource', id: 13, value: { type: 'time', value: 1795564012 } });
  t.deepEqual(decode(find('leshan-read-formats', '/3/0/13', 0)).node, { kind: 'resource', id: 13, value: { type: 'time', value: 1795564012 } });
});

test('the legacy 1542 answers carry the same TLV as 11542', (t) => {
  for (const path of ['/3/0/0', '/3303/0/5700']) {
    t.deepEqual(decode(find('leshan-read-formats-oldcf', path, 1542)).node, decode(find('leshan-read-formats-oldcf', path, 11542)).node, path);
  }
  // /3/0 was read twice a moment apart: same resources, live values (battery, memory) may move.
  const ids = (n: LwM2mNode) => (n.kind === 'instance' ? n.resources.map((r) => r.id) : []);
  const legacy = decode(find('leshan-read-formats-oldcf', '/3/0', 1542)).node;
  t.deepEqual(ids(legacy), ids(decode(find('leshan-read-formats-oldcf', '/3/0', 11542)).node));
  t.true(ids(legacy).length >= 15);
});

test('the bootstrap server writes the Security and Server instances in TLV', (t) => {
  const security = decode(find('leshan-bootstrap', '/0/1', 11542, 'request')).node;
  t.deepEqual(valueAt(security, 0), { type: 'string', value: 'coap://127.0.0.1:5683' });
  t.deepEqual(valueAt(security, 1), { type: 'boolean', value: false });
  t.deepEqual(valueAt(security, 2), { type: 'integer', value: 3 });
  t.deepEqual(valueAt(security, 10), { type: 'integer', value: 1 });
  const server = decode(find('leshan-bootstrap', '/1/1', 11542, 'request')).node;
  t.deepEqual(valueAt(server, 1), { type: 'integer', value: 300 });
  t.deepEqual(valueAt(server, 7), { type: 'string', value: 'U' });
});

test('Wakaama’s trailing garbage in a string is kept and reported, not fatal', (t) => {
  const { node, warnings } = decode(find('wakaama-create-delete', '/31024/20', 11542));
  t.deepEqual(valueAt(node, 1), { type: 'integer', value: 5 });
  t.deepEqual(valueAt(node, 5), { type: 'string', value: 'new\ufffdgU' });
  t.is(warnings.length, 1);
});

test('a Block2 answer joined back together decodes like the one-block answer', (t) => {
  const joined = vectors.filter((v) => v.file === 'wakaama-blockwise.jsonl' && v.format === 11542);
  t.true(joined.length >= 1);
  for (const p of joined) t.deepEqual(valueAt(decode(p).node, 0), { type: 'string', value: 'Open Mobile Alliance' });
});

test('re-encoding every decoded payload gives the same node; Wakaama’s bytes come back exactly', (t) => {
  let exact = 0;
  for (const p of vectors) {
    let decoded: { node: LwM2mNode; warnings: string[] };
    try {
      decoded = decode(p);
    } catch {
      continue;
    }
    const bytes = p.format === 0 ? encodeText(decoded.node, p.path) : p.format === 42 ? encodeOpaque(decoded.node, p.path) : encodeTlv(decoded.node, p.path);
    const again = decode({ ...p, payload: Buffer.from(bytes) });
    if (decoded.warnings.some((w) => /instance 0/.test(w))) continue; // encoded wrapped, as instance 0
    t.deepEqual(again.node, decoded.node, `${p.file} ${formatPath(p.path)}`);
    if (p.file.startsWith('wakaama') && p.role === 'response' && p.format !== 0 && decoded.warnings.length === 0) {
      t.is(Buffer.from(bytes).toString('hex'), p.payload.toString('hex'), `${p.file} ${formatPath(p.path)}`);
      exact++;
    }
  }
  t.true(exact >= 30, `${exact} byte-exact`);
});

test('text answers that do not fit the model are refused with 4.15, not guessed', (t) => {
  const e = t.throws<Lwm2mError>(() => decodeText(Buffer.from('1'), parsePath('/3/0/6'), ctx));
  t.is(e!.coapCode, '4.15');
});
