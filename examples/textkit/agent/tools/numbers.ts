// Numeric helpers for note statistics and attachment sizes.

/** `value` limited to the closed range [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), min);
}

/** The median of a non-empty list; the mean of the two middle values when the length is even. */
export function median(values: number[]): number {
  if (values.length === 0) {
    throw new Error("median of an empty list");
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) {
    return sorted[mid]!;
  }
  return (sorted[mid]! + sorted[mid + 1]!) / 2;
}

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** Human-readable size with binary (1024) steps and one decimal above bytes: 1536 -> "1.5 KB". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value > 1024 && unit < UNITS.length - 1) {
    value = value / 1024;
    unit = unit + 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}
