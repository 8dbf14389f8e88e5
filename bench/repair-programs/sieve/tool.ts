/** The primes up to and including n (sieve of Eratosthenes). */
export function primesUpTo(n: number): number[] {
  const composite: boolean[] = [];
  const out: number[] = [];
  for (let i = 2; i <= n; i++) {
    if (composite[i] === true) continue;
    out.push(i);
    for (let j = i * i; j <= n; j += j) composite[j] = true;
  }
  return out;
}
