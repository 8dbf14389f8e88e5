import type { CaseResult } from "./assertions.js";
import type { GoldenCase, GoldenSuite } from "./schema.js";

/** Scores of a whole suite. */
export interface SuiteScore {
  /** Weighted mean of train case scores, 0..1, rounded to 6 decimals (0 when there are no train cases). */
  score: number;
  /** Weighted mean of holdout case scores, rounded likewise; null when the suite has no holdout cases. */
  holdout: number | null;
  /** Cases (both splits) whose assertions all passed. */
  passed: number;
  failed: number;
  total: number;
  /** Ids of mustPass cases that failed, in suite order. */
  mustPassFailed: string[];
  /** One result per case, in suite order; a case with no result counts as failed with score 0. */
  results: CaseResult[];
}

/**
 * Combines case results into split scores: sum(weight * caseScore) / sum(weight) per split, where a
 * case's score is already partial credit (the mean of its assertion scores, see CaseResult.score).
 */
export function scoreSuite(suite: GoldenSuite, results: CaseResult[]): SuiteScore {
  const byId = new Map<string, CaseResult>();
  for (const r of results) {
    if (byId.has(r.id)) throw new Error(`scoreSuite: two results for case "${r.id}"`);
    byId.set(r.id, r);
  }
  const known = new Set(suite.cases.map((c) => c.id));
  const stray = results.find((r) => !known.has(r.id));
  if (stray) throw new Error(`scoreSuite: result for "${stray.id}", which is not a case of the suite`);

  const ordered = suite.cases.map((c) => byId.get(c.id) ?? missing(c));
  const split = (name: GoldenCase["split"]): number | null => {
    let weight = 0;
    let sum = 0;
    suite.cases.forEach((c, i) => {
      if (c.split !== name) return;
      weight += c.weight;
      sum += c.weight * (ordered[i]?.score ?? 0);
    });
    return weight > 0 ? round6(sum / weight) : null;
  };
  const passed = ordered.filter((r) => r.pass).length;
  return {
    score: split("train") ?? 0,
    holdout: split("holdout"),
    passed,
    failed: ordered.length - passed,
    total: ordered.length,
    mustPassFailed: suite.cases.filter((c, i) => c.mustPass && !ordered[i]?.pass).map((c) => c.id),
    results: ordered,
  };
}

function missing(c: GoldenCase): CaseResult {
  return { id: c.id, pass: false, score: 0, reason: "no result (the case was not run)", assertions: [], ms: 0 };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
