/** Helpers of the interleaved benchmarks (registrations, device management): one figure per round. */

/** The median of the rounds' figures. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The round whose figure (`key`) is the median one (the upper middle of an even count). */
export function medianBy<T>(rounds: T[], key: (x: T) => number): T {
  return [...rounds].sort((a, b) => key(a) - key(b))[rounds.length >> 1]!;
}

/** Every round's figure, for the table: "0.52, 0.49, ...". */
export function list(xs: number[], digits = 2): string {
  return xs.map((x) => x.toFixed(digits)).join(', ');
}
