/** Index of `target` in the ascending list `xs`, or -1. */
export function binarySearch(xs: number[], target: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const v = xs[mid]!;
    if (v === target) return mid;
    if (v < target) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return -1;
}
