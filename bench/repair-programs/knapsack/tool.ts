/** Best total value of a subset of items (each used at most once) whose weights fit in `capacity`. */
export function knapsack(weights: number[], values: number[], capacity: number): number {
  const best: number[] = new Array<number>(capacity + 1).fill(0);
  for (let k = 0; k < weights.length; k++) {
    const w = weights[k]!;
    const v = values[k]!;
    for (let c = w; c <= capacity; c++) {
      best[c] = Math.max(best[c]!, best[c - w]! + v);
    }
  }
  return best[capacity]!;
}
