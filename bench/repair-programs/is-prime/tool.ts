/** Whether the integer n is prime. */
export function isPrime(n: number): boolean {
  for (let d = 2; d * d <= n; d++) {
    if (n % d === 0) return false;
  }
  return true;
}
