/** A small seeded PRNG (mulberry32) so property tests are repeatable. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function int(rnd: () => number, min: number, max: number): number {
  return min + Math.floor(rnd() * (max - min + 1));
}

export function bytes(rnd: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => int(rnd, 0, 255));
}

export function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[int(rnd, 0, items.length - 1)]!;
}
