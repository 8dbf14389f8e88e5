/** Merge two ascending lists into one ascending list. */
export function mergeSorted(a: number[], b: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i]! <= b[j]!) {
      out.push(a[i]!);
      i++;
    } else {
      out.push(b[j]!);
      j++;
    }
  }
  while (i < a.length) {
    out.push(a[i]!);
    i++;
  }
  return out;
}
