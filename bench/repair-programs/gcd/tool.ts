/** Greatest common divisor of two non-negative integers (Euclid). */
export function gcd(a: number, b: number): number {
  if (b === 0) return a;
  return gcd(a % b, b);
}
