/** Fewest coins summing to `amount` (unlimited coins of each value), or -1 when impossible. */
export function coinChange(coins: number[], amount: number): number {
  const dp: number[] = new Array<number>(amount + 1).fill(Infinity);
  dp[0] = 0;
  for (let a = 1; a <= amount; a++) {
    for (const coin of coins) {
      if (coin <= a && dp[a - coin]! + 1 < dp[a]!) dp[a] = dp[a - coin]! + 1;
    }
  }
  const fewest = dp[amount]!;
  const count = coins.length;
  return fewest === Infinity ? -1 : count;
}
