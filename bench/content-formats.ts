/**
 * Content-format throughput: encode and decode of a Device object instance (/3/0) in every
 * multi-value format, and of one resource in text / opaque, in operations per second. The
 * baseline, measured in the same run, is JSON.stringify / JSON.parse of the same node: the
 * cheapest serialisation Node has, so each row shows what a real LwM2M format costs on top.
 *
 *   node dist/bench/content-formats.js [msPerFormat]
 *
 * Each format gets about `msPerFormat` (default 1000 ms, half encode, half decode); loops are
 * bounded by time and by a maximum count.
 */
import { pathToFileURL } from 'node:url';
import { decode, encode, formatName } from '../src/content/index.js';
import { parsePath } from '../src/content/path.js';
import type { CodecContext, LwM2mNode, LwM2mPath } from '../src/content/types.js';
import { ModelRegistry } from '../src/model/registry.js';

export interface BenchRow {
  name: string;
  bytes: number;
  encodePerSecond: number;
  decodePerSecond: number;
}

const MAX_OPS = 5_000_000;
const BATCH = 64;

/** The Device object instance of the LwM2M TS-Core TLV example (§7.4.3), plus a few resources. */
const DEVICE: LwM2mNode = {
  kind: 'instance',
  id: 0,
  resources: [
    { kind: 'resource', id: 0, value: { type: 'string', value: 'Open Mobile Alliance' } },
    { kind: 'resource', id: 1, value: { type: 'string', value: 'Lightweight M2M Client' } },
    { kind: 'resource', id: 2, value: { type: 'string', value: '345000123' } },
    { kind: 'resource', id: 3, value: { type: 'string', value: '1.0' } },
    { kind: 'multipleResource', id: 6, type: 'integer', instances: [1, 5].map((v, id) => ({ kind: 'resourceInstance' as const, id, value: { type: 'integer' as const, value: v } })) },
    { kind: 'multipleResource', id: 7, type: 'integer', instances: [3800, 5000].map((v, id) => ({ kind: 'resourceInstance' as const, id, value: { type: 'integer' as const, value: v } })) },
    { kind: 'multipleResource', id: 8, type: 'integer', instances: [125, 900].map((v, id) => ({ kind: 'resourceInstance' as const, id, value: { type: 'integer' as const, value: v } })) },
    { kind: 'resource', id: 9, value: { type: 'integer', value: 100 } },
    { kind: 'resource', id: 10, value: { type: 'integer', value: 15 } },
    { kind: 'multipleResource', id: 11, type: 'integer', instances: [{ kind: 'resourceInstance', id: 0, value: { type: 'integer', value: 0 } }] },
    { kind: 'resource', id: 13, value: { type: 'time', value: 1367491215 } },
    { kind: 'resource', id: 14, value: { type: 'string', value: '+02:00' } },
    { kind: 'resource', id: 15, value: { type: 'string', value: 'Europe/Berlin' } },
    { kind: 'resource', id: 16, value: { type: 'string', value: 'U' } },
  ],
};

function opsPerSecond(ms: number, fn: () => unknown): number {
  const start = performance.now();
  let ops = 0;
  while (ops < MAX_OPS) {
    for (let i = 0; i < BATCH; i++) fn();
    ops += BATCH;
    if (performance.now() - start >= ms) break;
  }
  return Math.round((ops * 1000) / (performance.now() - start));
}

function measure(name: string, ms: number, enc: () => Uint8Array, dec: (b: Uint8Array) => unknown): BenchRow {
  const bytes = enc();
  dec(bytes); // fail early (and warm up) before timing
  return { name, bytes: bytes.length, encodePerSecond: opsPerSecond(ms / 2, enc), decodePerSecond: opsPerSecond(ms / 2, () => dec(bytes)) };
}

export async function run(msPerFormat = 1000, log: (line: string) => void = console.log): Promise<BenchRow[]> {
  const ctx: CodecContext = { models: await ModelRegistry.builtin() };
  const instance = parsePath('/3/0');
  const rows: BenchRow[] = [];
  const json = JSON.stringify(DEVICE);
  rows.push(measure('baseline: JSON.stringify/parse of the node', msPerFormat, () => Buffer.from(JSON.stringify(DEVICE)), (b) => JSON.parse(Buffer.from(b).toString())));
  for (const format of [11542, 110, 112, 11543, 11544]) {
    rows.push(measure(`/3/0 ${formatName(format)}`, msPerFormat, () => encode(format, DEVICE, instance, ctx), (b) => decode(format, b, instance, ctx)));
  }
  const single: [number, LwM2mPath, LwM2mNode][] = [
    [0, parsePath('/3/0/0'), DEVICE.kind === 'instance' ? DEVICE.resources[0]! : DEVICE],
    [42, parsePath('/6/0/4'), { kind: 'resource', id: 4, value: { type: 'opaque', value: Uint8Array.of(0x20, 0, 0, 0, 0xff) } }],
    [11542, parsePath('/3/0/0'), DEVICE.kind === 'instance' ? DEVICE.resources[0]! : DEVICE],
  ];
  for (const [format, path, node] of single) {
    rows.push(measure(`one resource ${formatName(format)}`, msPerFormat, () => encode(format, node, path, ctx), (b) => decode(format, b, path, ctx)));
  }
  const base = rows[0]!;
  log(`Content formats (Node ${process.version}); baseline node JSON is ${json.length} bytes`);
  log('| format | bytes | encode ops/s | decode ops/s | encode vs baseline | decode vs baseline |');
  log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
    log(`| ${r.name} | ${r.bytes} | ${r.encodePerSecond.toLocaleString('en')} | ${r.decodePerSecond.toLocaleString('en')} | ${ratio(r.encodePerSecond, base.encodePerSecond)} | ${ratio(r.decodePerSecond, base.decodePerSecond)} |`);
  }
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ms = Number(process.argv[2] ?? 1000);
  await run(Number.isFinite(ms) && ms > 0 ? Math.min(ms, 10_000) : 1000);
}
