/** The transpose of a rectangular matrix given as rows. */
export function transpose(m: number[][]): number[][] {
  const rows = m.length;
  const cols = rows === 0 ? 0 : m[0]!.length;
  const out: number[][] = [];
  for (let j = 0; j < cols; j++) {
    const row: number[] = [];
    for (let i = 0; i < rows; i++) row.push(m[j]![i]!);
    out.push(row);
  }
  return out;
}
