/** Index of `x` in the ascending list `xs`, or -1 (recursive bisection). */
export function sortedFind(xs: number[], x: number): number {
  return find(xs, x, 0, xs.length - 1);
}

function find(xs: number[], x: number, lo: number, hi: number): number {
  if (lo > hi) return -1;
  const mid = Math.floor((lo + hi) / 2);
  if (xs[mid] === x) return mid;
  if (xs[mid]! < x) find(xs, x, mid + 1, hi);
  return find(xs, x, lo, mid - 1);
}
