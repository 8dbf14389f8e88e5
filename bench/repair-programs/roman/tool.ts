const VALUES: Record<string, number> = { I: 1, V: 5, X: 10, L: 50, C: 100, D: 500, M: 1000 };

/** The value of a Roman numeral such as "XIV". */
export function romanToInt(s: string): number {
  let total = 0;
  for (let i = 0; i < s.length; i++) {
    const v = VALUES[s[i]!] ?? 0;
    const next = VALUES[s[i + 1] ?? ""] ?? 0;
    if (v < next) {
      total += v;
    } else {
      total += v;
    }
  }
  return total;
}
