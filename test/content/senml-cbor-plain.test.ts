import test from 'ava';
import { CborWriter } from '../../src/content/cbor-writer.js';
import { DEFAULT_LIMITS } from '../../src/content/limits.js';
import { halfToNumber, readPlainSenmlCbor } from '../../src/content/senml-cbor-plain.js';
import { readSenmlCbor } from '../../src/content/senml-cbor.js';
import type { SenmlRecord } from '../../src/content/senml-records.js';
import type { DecodeLimits } from '../../src/content/types.js';
import { capturedPayloads } from './_b/capture-payloads.js';
import { int, pick, seeded } from './_random.js';

/** What the general path makes of a payload: its records, or the error it words. */
function general(payload: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): SenmlRecord[] | Error {
  try {
    return readSenmlCbor(payload, limits);
  } catch (e) {
    return e as Error;
  }
}

/** The plain reader agrees with the general path: same records, or it leaves the payload to it. */
function agrees(payload: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): 'plain' | 'general' | string {
  const plain = readPlainSenmlCbor(payload, limits);
  if (plain === undefined) return 'general';
  const g = general(payload, limits);
  if (g instanceof Error) return `plain read a payload the general path refuses (${g.message}): ${Buffer.from(payload).toString('hex')}`;
  // Same records, same keys in the same order, same values (NaN included, -0 apart from 0).
  const text = (r: SenmlRecord[]): string => JSON.stringify(r.map((x) => Object.entries(x).map(([k, v]) => [k, typeof v === 'number' ? (Object.is(v, -0) ? '-0' : String(v)) : v])));
  return text(plain) === text(g) ? 'plain' : `different records for ${Buffer.from(payload).toString('hex')}: ${text(plain)} against ${text(g)}`;
}

test('every captured SenML CBOR payload reads the same through the plain reader, and most take it', (t) => {
  const payloads = capturedPayloads([112]);
  t.true(payloads.length >= 15, `found ${payloads.length}`);
  let plain = 0;
  for (const p of payloads) {
    const r = agrees(p.payload);
    t.true(r === 'plain' || r === 'general', `${p.file} mid ${p.mid}: ${r}`);
    if (r === 'plain') plain++;
  }
  t.true(plain >= payloads.length * 0.8, `${plain} of ${payloads.length} read by the plain reader`);
});

test('the half-precision floats read as cbor-x reads them, all 65,536', (t) => {
  for (let h = 0; h < 0x10000; h++) {
    // [{2: half}]: v is the one label that may be NaN or infinite.
    const payload = Uint8Array.from([0x81, 0xa1, 0x02, 0xf9, h >> 8, h & 0xff]);
    const g = general(payload);
    if (g instanceof Error) return t.fail(g.message);
    const plain = readPlainSenmlCbor(payload, DEFAULT_LIMITS);
    if (!Object.is(plain?.[0]?.v, g[0]!.v) || !Object.is(halfToNumber(h), g[0]!.v)) return t.fail(`half 0x${h.toString(16)}: ${String(plain?.[0]?.v)} against ${String(g[0]!.v)}`);
  }
  t.pass();
});

/** A random pack: mostly the labels and values of plain packs, sometimes anything else SenML CBOR may hold. */
function randomPack(rnd: () => number): Uint8Array {
  const w = new CborWriter();
  const records = int(rnd, 0, 4);
  w.array(records);
  for (let r = 0; r < records; r++) {
    const labels: (number | string)[] = [];
    const n = int(rnd, 0, 5);
    for (let i = 0; i < n; i++) labels.push(rnd() < 0.9 ? pick(rnd, [-2, -3, 0, 6, 2, -5, 3, 4, 'vlo']) : pick(rnd, [1, 5, 7, 8, -1, -4, -6, 99, 'x', 'x_', 'vl']));
    w.map(labels.length);
    for (const label of labels) {
      if (typeof label === 'string') w.text(label);
      else w.int(label);
      value(w, label, rnd);
    }
  }
  return w.toBytes();
}

function value(w: CborWriter, label: number | string, rnd: () => number): void {
  const odd = rnd() < 0.1;
  const textual = label === -2 || label === 0 || label === 3 || label === 'vlo';
  if (!odd && textual) {
    w.text(pick(rnd, ['/3303/0/5700', '/3/0/', '0', '5700', 'Cel', '3:0', '', 'Ünïcode']));
    return;
  }
  if (!odd && label === 4) {
    w.bool(rnd() < 0.5);
    return;
  }
  if (!odd) {
    const x = pick(rnd, [0, 1, -1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -(2 ** 32), 21.5, 0.1, -0, 1e-7, 65504, 1e300, Number.NaN, Infinity, -Infinity, 1_765_143_000, 1_765_143_000.25]);
    if (Number.isSafeInteger(x) && !Object.is(x, -0) && rnd() < 0.7) w.int(x);
    else w.float(x);
    return;
  }
  switch (int(rnd, 0, 4)) {
    case 0:
      w.bytes(Uint8Array.from([1, 2, 3]));
      break;
    case 1:
      w.null();
      break;
    case 2:
      w.int(2n ** 63n);
      break;
    case 3:
      w.array(1).int(1);
      break;
    default:
      w.tag(1).int(0);
  }
}

test('generated and mutated packs: the plain reader gives the general path\'s records, or leaves the payload to it', (t) => {
  const rnd = seeded(112);
  const counts = { plain: 0, general: 0 };
  for (let i = 0; i < 4000; i++) {
    const pack = randomPack(rnd);
    const variants: Uint8Array[] = [pack, pack.subarray(0, int(rnd, 0, pack.length))];
    // A flipped byte, a byte appended.
    if (pack.length > 0) {
      const flipped = Uint8Array.from(pack);
      flipped[int(rnd, 0, pack.length - 1)] = int(rnd, 0, 255);
      variants.push(flipped);
    }
    variants.push(Uint8Array.from([...pack, int(rnd, 0, 255)]));
    for (const v of variants) {
      const r = agrees(v);
      if (r !== 'plain' && r !== 'general') return t.fail(r);
      counts[r]++;
    }
  }
  t.true(counts.plain > 1000 && counts.general > 1000, JSON.stringify(counts));
});

test('the decode limits bind the plain reader as they bind the general path', (t) => {
  const w = new CborWriter();
  w.array(3);
  for (let i = 0; i < 3; i++) w.map(2).int(0).text('/3303/0/5700').int(2).float(21.5);
  const pack = w.toBytes();
  t.is(agrees(pack), 'plain');
  for (const limits of [
    { ...DEFAULT_LIMITS, maxEntries: 2 },
    { ...DEFAULT_LIMITS, maxEntries: 1 },
    { ...DEFAULT_LIMITS, maxValueBytes: 11 },
    { ...DEFAULT_LIMITS, maxPayloadBytes: pack.length - 1 },
    { ...DEFAULT_LIMITS, maxDepth: 1 },
  ]) {
    t.is(readPlainSenmlCbor(pack, limits), undefined, JSON.stringify(limits));
    t.true(general(pack, limits) instanceof Error, JSON.stringify(limits));
  }
  t.is(agrees(pack, { ...DEFAULT_LIMITS, maxValueBytes: 12, maxDepth: 2 }), 'plain');
});

test('a plain pack reads into records: base name and time, values of each kind, base value added', (t) => {
  const w = new CborWriter();
  w.array(3);
  w.map(4).int(-2).text('/3303/0/').int(-3).int(1_765_143_000).int(0).text('5700').int(2).float(21.5);
  w.map(3).int(0).text('5701').int(6).int(-5).int(3).text('Cel');
  w.map(4).text('vlo').text('3:0').int(0).text('/3/0/1').int(-5).int(10).int(2).int(5);
  t.deepEqual(readPlainSenmlCbor(w.toBytes(), DEFAULT_LIMITS), [
    { bn: '/3303/0/', bt: 1_765_143_000, n: '5700', v: 21.5 },
    { n: '5701', t: -5, vs: 'Cel' },
    { vlo: '3:0', n: '/3/0/1', v: 15 },
  ]);
});
