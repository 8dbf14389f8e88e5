/** The n-th Fibonacci number (fib(0) = 0, fib(1) = 1), bottom-up. */
export function fibonacci(n: number): number {
  if (n < 2) return n;
  const dp: number[] = [0, 1];
  for (let i = 2; i <= n; i++) {
    dp[i] = dp[i - 1]! + dp[i - 1]!;
  }
  return dp[n]!;
}
