import type { ResourceType } from '../../../src/model/types.js';
import type { LwM2mNode, LwM2mPath, LwM2mValue, ObjectInstanceNode, ResourceNode } from '../../../src/content/types.js';
import { TYPES } from './models.js';
import { seededRandom } from '../../helpers/prng.js';

export const prng = seededRandom;


export interface GenOptions {
  /** JSON formats: no bigints beyond 2^53, no NaN/Infinity/-0. */
  json?: boolean;
  /** Types the format cannot carry (OMA JSON has no "none"). */
  skipTypes?: ResourceType[];
}

const int = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

const STRINGS = ['', 'Open Mobile Alliance', 'ünïcødé ✓', 'emoji 😀', 'quote " back \\ slash', 'line\nbreak', '+01:00', '\u0000nul'];

function randomFloat(rnd: () => number, json: boolean): number {
  switch (int(rnd, 0, 5)) {
    case 0:
      return -30.0; // integral, exact in half precision (Wakaama f9 cf80)
    case 1:
      return Math.fround((rnd() - 0.5) * 1e6); // exact in single precision
    case 2:
      return (rnd() - 0.5) * 1e12; // needs double precision
    case 3:
      return int(rnd, -1000, 1000) / 4; // short binary fraction
    case 4:
      return json ? 1e300 * rnd() : [NaN, Infinity, -Infinity, -0][int(rnd, 0, 3)]!;
    default:
      return 5.960464477539063e-8; // smallest half-precision subnormal
  }
}

export function randomValue(type: ResourceType, rnd: () => number, opts: GenOptions = {}): LwM2mValue {
  const json = opts.json ?? false;
  switch (type) {
    case 'string':
      return { type, value: STRINGS[int(rnd, 0, STRINGS.length - 1)]! };
    case 'corelnk':
      return { type, value: `</3/0>;ct=${int(rnd, 0, 60)},</1/${int(rnd, 0, 9)}>` };
    case 'integer':
      if (!json && rnd() < 0.2) return { type, value: (rnd() < 0.5 ? -1n : 1n) * (2n ** 62n + BigInt(int(rnd, 0, 1e6))) };
      return { type, value: int(rnd, -(2 ** 40), 2 ** 40) };
    case 'unsigned':
      if (!json && rnd() < 0.2) return { type, value: 2n ** 64n - 1n - BigInt(int(rnd, 0, 1e6)) };
      return { type, value: int(rnd, 0, 2 ** 45) };
    case 'float':
      return { type, value: randomFloat(rnd, json) };
    case 'boolean':
      return { type, value: rnd() < 0.5 };
    case 'opaque':
      return { type, value: Uint8Array.from({ length: int(rnd, 0, 40) }, () => int(rnd, 0, 255)) };
    case 'time':
      return { type, value: int(rnd, 0, 2 ** 33) };
    case 'objlnk':
      return { type, value: { objectId: int(rnd, 0, 65535), instanceId: int(rnd, 0, 65535) } };
    case 'none':
      return { type, value: null };
  }
}

/** Object 9000 (see models.ts): resource i is single of TYPES[i], 100 + i multiple. */
export const TEST_OBJECT = 9000;

function usableTypes(opts: GenOptions): number[] {
  return TYPES.map((t, i) => [t, i] as const)
    .filter(([t]) => !(opts.skipTypes ?? []).includes(t))
    .map(([, i]) => i);
}

function ids(rnd: () => number, max: number, lo = 0, hi = 65534): number[] {
  const set = new Set<number>();
  const n = int(rnd, 1, max);
  while (set.size < n) set.add(int(rnd, lo, hi));
  return [...set].sort((a, b) => a - b);
}

export function randomResource(id: number, rnd: () => number, opts: GenOptions, allowEmpty = false): ResourceNode {
  const type = TYPES[id % 100]!;
  if (id < 100) return { kind: 'resource', id, value: randomValue(type, rnd, opts) };
  const instances = allowEmpty && rnd() < 0.2 ? [] : ids(rnd, 3).map((riid) => ({ kind: 'resourceInstance' as const, id: riid, value: randomValue(type, rnd, opts) }));
  return { kind: 'multipleResource', id, type, instances };
}

export function randomInstance(id: number, rnd: () => number, opts: GenOptions): ObjectInstanceNode {
  const usable = usableTypes(opts);
  const chosen = new Set<number>();
  const n = int(rnd, 1, 6);
  while (chosen.size < n) {
    const t = usable[int(rnd, 0, usable.length - 1)]!;
    chosen.add(rnd() < 0.5 ? t : 100 + t);
  }
  return { kind: 'instance', id, resources: [...chosen].sort((a, b) => a - b).map((rid) => randomResource(rid, rnd, opts)) };
}

/** A random node and the request path it answers. */
export function randomNode(rnd: () => number, opts: GenOptions = {}): { node: LwM2mNode; path: LwM2mPath } {
  const usable = usableTypes(opts);
  const objectId = TEST_OBJECT;
  const instanceId = int(rnd, 0, 65534);
  const t = usable[int(rnd, 0, usable.length - 1)]!;
  switch (int(rnd, 0, 4)) {
    case 0:
      return { node: { kind: 'object', id: objectId, instances: ids(rnd, 3).map((iid) => randomInstance(iid, rnd, opts)) }, path: { objectId } };
    case 1:
      return { node: randomInstance(instanceId, rnd, opts), path: { objectId, instanceId } };
    case 2:
      return { node: randomResource(t, rnd, opts), path: { objectId, instanceId, resourceId: t } };
    case 3:
      return { node: randomResource(100 + t, rnd, opts, true), path: { objectId, instanceId, resourceId: 100 + t } };
    default: {
      const riid = int(rnd, 0, 65534);
      const value = randomValue(TYPES[t]!, rnd, opts);
      return { node: { kind: 'resourceInstance', id: riid, value }, path: { objectId, instanceId, resourceId: 100 + t, resourceInstanceId: riid } };
    }
  }
}

/** A comparable form: bigints and safe integers compare equal, bytes as hex, -0 as 0. */
export function canonical(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `int:${v}`;
    if (typeof v === 'number') return Number.isInteger(v) ? `int:${v}` : Number.isNaN(v) ? 'NaN' : `num:${v}`;
    if (v instanceof Uint8Array) return `hex:${Buffer.from(v).toString('hex')}`;
    return v;
  });
}
