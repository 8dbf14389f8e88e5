/** Indices [i, j], i < j, of two elements summing to `target`; [] when none. */
export function twoSum(xs: number[], target: number): number[] {
  const seen = new Map<number, number>();
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    seen.set(x, i);
    if (seen.has(target - x)) return [seen.get(target - x)!, i];
  }
  return [];
}
