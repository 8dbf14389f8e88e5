/** Index of the first element of `xs` equal to `target`, or -1. */
export function firstIndex(xs: string[], target: string): number {
  let found = -1;
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] === target) {
      found = i;
    }
  }
  return found;
}
