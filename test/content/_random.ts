import { seededRandom } from '../helpers/prng.js';

export const seeded = seededRandom;

export function int(rnd: () => number, min: number, max: number): number {
  return min + Math.floor(rnd() * (max - min + 1));
}

export function bytes(rnd: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => int(rnd, 0, 255));
}

export function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[int(rnd, 0, items.length - 1)]!;
}
