/** Sum of the non-negative numbers of `xs`, and how many negative ones were skipped. */
export function sumNonNegative(xs: number[]): { sum: number; skipped: number } {
  let sum = 0;
  let skipped = 0;
  for (const x of xs) {
    if (x < 0) {
      skipped++;
    }
    sum += x;
  }
  return { sum, skipped };
}
