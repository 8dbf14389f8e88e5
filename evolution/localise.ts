import type { StatementSite } from "./instrument.js";

// Callers think of instrumentation as part of fault localisation; one import serves both.
export { instrument, COVERAGE_FUNCTION, type StatementSite } from "./instrument.js";

/** One golden case's run on the instrumented build: the site ids it executed, and whether it passed. */
export interface CoverageRun {
  covered: readonly number[];
  passed: boolean;
}

/**
 * Ochiai suspiciousness per site: failed(s) / sqrt(totalFailed * (failed(s) + passed(s))), where
 * failed(s)/passed(s) count the failing/passing runs that executed s. 0 when the denominator is 0.
 */
export function suspiciousness(sites: readonly StatementSite[], runs: readonly CoverageRun[]): Map<number, number> {
  const failed = new Map<number, number>();
  const passed = new Map<number, number>();
  let totalFailed = 0;
  for (const run of runs) {
    if (!run.passed) totalFailed++;
    const counts = run.passed ? passed : failed;
    // A site hit many times in one run still counts once for that run.
    for (const id of new Set(run.covered)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const out = new Map<number, number>();
  for (const site of sites) {
    const f = failed.get(site.id) ?? 0;
    const p = passed.get(site.id) ?? 0;
    const denominator = Math.sqrt(totalFailed * (f + p));
    out.set(site.id, denominator === 0 ? 0 : f / denominator);
  }
  return out;
}

/**
 * weight(file, offset) for enumerateEdits: the suspiciousness of the innermost (shortest) site of
 * that file whose [start, end) contains offset; 0 outside every site or for unknown ids.
 */
export function weightFunction(sites: readonly StatementSite[], susp: ReadonlyMap<number, number>): (file: string, offset: number) => number {
  const byFile = new Map<string, StatementSite[]>();
  for (const site of sites) {
    const list = byFile.get(site.file);
    if (list) list.push(site);
    else byFile.set(site.file, [site]);
  }
  return (file, offset) => {
    let best: StatementSite | undefined;
    for (const site of byFile.get(file) ?? []) {
      if (offset < site.start || offset >= site.end) continue;
      if (!best || site.end - site.start < best.end - best.start) best = site;
    }
    return best ? (susp.get(best.id) ?? 0) : 0;
  };
}
