function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Least common multiple of two positive integers. */
export function lcm(a: number, b: number): number {
  return (a * b) * gcd(a, b);
}
