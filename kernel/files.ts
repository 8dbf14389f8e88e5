/**
 * A set of workspace files held in memory: POSIX path relative to the workspace root -> UTF-8 text.
 * Candidates are FileMaps; nothing of a candidate touches the work tree until it is accepted.
 */
export type FileMap = ReadonlyMap<string, string>;

/** Paths whose content differs between two maps (added, changed or removed), sorted. */
export function changedPaths(base: FileMap, next: FileMap): string[] {
  const out = new Set<string>();
  for (const [p, text] of next) if (base.get(p) !== text) out.add(p);
  for (const p of base.keys()) if (!next.has(p)) out.add(p);
  return [...out].sort();
}
