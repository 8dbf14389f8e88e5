/** Every start index where `pattern` occurs in `text` (overlaps included); [] for an empty pattern. */
export function findAll(text: string, pattern: string): number[] {
  const out: number[] = [];
  if (pattern.length === 0) return out;
  for (let i = 0; i + pattern.length <= text.length; i++) {
    if (text.slice(i, pattern.length) === pattern) out.push(i);
  }
  return out;
}
