/** Largest sum of a non-empty contiguous run of `xs` (Kadane). */
export function maxSubarray(xs: number[]): number {
  let best = xs[0]!;
  let cur = 0;
  for (const x of xs) {
    cur = Math.max(x, cur + x);
    best = Math.min(best, cur);
  }
  return best;
}
