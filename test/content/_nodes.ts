import type { ObjectModel, ResourceType } from '../../src/model/types.js';
import type { LwM2mValue, ObjectInstanceNode, ObjectNode, ResourceNode } from '../../src/content/types.js';
import { bytes, int, pick } from './_random.js';

/** Every value type once as a single resource (id = index) and once as a multiple one (id + 100). */
export const TYPES: readonly ResourceType[] = ['string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk', 'none'];

/** Object 40000 with one resource per type, single and multiple, plus a 16-bit resource id. */
export const PROPERTY_OBJECT: ObjectModel = {
  id: 40000,
  name: 'property test object',
  version: '1.0',
  lwm2mVersion: '1.1',
  multiple: true,
  mandatory: false,
  resources: [
    ...TYPES.map((type, i) => ({ id: i, name: `single ${type}`, operations: 'RW' as const, multiple: false, mandatory: false, type })),
    ...TYPES.filter((t) => t !== 'none').map((type, i) => ({ id: 100 + i, name: `multiple ${type}`, operations: 'RW' as const, multiple: true, mandatory: false, type })),
    { id: 4000, name: 'wide id', operations: 'RW', multiple: false, mandatory: false, type: 'string' },
  ],
};

function normalise(x: bigint): number | bigint {
  return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}

function bigOf(rnd: () => number, bits: number): bigint {
  let x = 0n;
  for (let i = 0; i < bits; i += 16) x = (x << 16n) | BigInt(int(rnd, 0, 0xffff));
  return BigInt.asUintN(bits, x);
}

function randomString(rnd: () => number): string {
  const n = int(rnd, 0, 24);
  let s = '';
  for (let i = 0; i < n; i++) {
    const kind = int(rnd, 0, 3);
    const cp = kind === 0 ? int(rnd, 0x20, 0x7e) : kind === 1 ? int(rnd, 0xa0, 0x7ff) : kind === 2 ? int(rnd, 0x800, 0xd7ff) : int(rnd, 0x10000, 0x10ffff);
    s += String.fromCodePoint(cp);
  }
  return s;
}

export interface ValueOptions {
  /** Leave out NaN and ±Infinity (text/plain has no spelling for them). */
  finiteOnly?: boolean;
}

/** A random value of `type`, in the normalised form decoders produce. */
export function randomValue(rnd: () => number, type: ResourceType, opts: ValueOptions = {}): LwM2mValue {
  switch (type) {
    case 'string':
      return { type, value: randomString(rnd) };
    case 'corelnk':
      return { type, value: `</${int(rnd, 0, 65534)}/${int(rnd, 0, 9)}>;rt="x"` };
    case 'integer': {
      const scale = pick(rnd, [7, 15, 31, 63]);
      return { type, value: normalise(BigInt.asIntN(scale + 1, bigOf(rnd, 64))) };
    }
    case 'unsigned':
      return { type, value: normalise(bigOf(rnd, pick(rnd, [8, 16, 32, 64]))) };
    case 'time':
      return { type, value: int(rnd, -(2 ** 40), 2 ** 40) };
    case 'float': {
      const specials = opts.finiteOnly ? [-0, 0, 1.5, Number.MAX_VALUE, Number.MIN_VALUE] : [-0, Infinity, -Infinity, NaN, Number.MAX_VALUE, Number.MIN_VALUE];
      const k = int(rnd, 0, 3);
      const x = (rnd() - 0.5) * 10 ** int(rnd, -30, 30);
      return { type, value: k === 0 ? pick(rnd, specials) : k === 1 ? Math.fround(x) : k === 2 ? Math.round(x) : x };
    }
    case 'boolean':
      return { type, value: rnd() < 0.5 };
    case 'opaque': {
      const n = pick(rnd, [0, 1, 7, 8, 200, 255, 256, 300]);
      return { type, value: bytes(rnd, n) };
    }
    case 'objlnk':
      return { type, value: { objectId: int(rnd, 0, 65535), instanceId: int(rnd, 0, 65535) } };
    case 'none':
      return { type, value: null };
  }
}

export function randomResources(rnd: () => number, opts: ValueOptions = {}): ResourceNode[] {
  const out: ResourceNode[] = [];
  for (const r of PROPERTY_OBJECT.resources) {
    if (rnd() < 0.3) continue;
    if (!r.multiple) {
      out.push({ kind: 'resource', id: r.id, value: randomValue(rnd, r.type, opts) });
      continue;
    }
    const ids = [...new Set(Array.from({ length: int(rnd, 0, 4) }, () => pick(rnd, [0, 1, 2, 7, 255, 256, 65534])))].sort((a, b) => a - b);
    out.push({ kind: 'multipleResource', id: r.id, type: r.type, instances: ids.map((id) => ({ kind: 'resourceInstance', id, value: randomValue(rnd, r.type, opts) })) });
  }
  return out;
}

export function randomInstance(rnd: () => number, id: number, opts: ValueOptions = {}): ObjectInstanceNode {
  return { kind: 'instance', id, resources: randomResources(rnd, opts) };
}

export function randomObject(rnd: () => number): ObjectNode {
  const ids = [...new Set(Array.from({ length: int(rnd, 0, 4) }, () => int(rnd, 0, 400)))].sort((a, b) => a - b);
  return { kind: 'object', id: PROPERTY_OBJECT.id, instances: ids.map((id) => randomInstance(rnd, id)) };
}
