/** Every word of `s` with its first letter upper-cased: "hello big world" -> "Hello Big World". */
export function capitalize(s: string): string {
  return s
    .split(" ")
    .map((w) => (w.length === 0 ? w : w[0]!.toUpperCase() + w.slice(0)))
    .join(" ");
}
