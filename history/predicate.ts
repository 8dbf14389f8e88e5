/**
 * What "good" means when searching history: a case that must pass, or a metric condition such as
 * `score<0.9` (bad when true). Shared by `evolve eval --bisect` and `evolve bisect`.
 */
import type { Measurement } from "../golden-tests/evaluate.js";
import { WorkspaceError } from "../workspace/open.js";

export type Predicate =
  | { kind: "case"; caseId: string; text: string }
  | { kind: "metric"; metric: "score" | "holdout" | "passed" | "failed" | "evalMs"; op: "<" | "<=" | ">" | ">=" | "==" | "!="; value: number; text: string };

const METRIC = /^\s*(score|holdout|passed|failed|evalMs)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** --case ID: good while it passes. --metric "score<0.9": the condition describes BAD trees. */
export function parsePredicate(flags: { caseId?: string; metric?: string }): Predicate {
  if (flags.caseId !== undefined && flags.metric !== undefined) throw new WorkspaceError("give either --case or --metric, not both", "usage", { flag: "--case" });
  if (flags.caseId !== undefined) return { kind: "case", caseId: flags.caseId, text: `case ${flags.caseId} passes` };
  if (flags.metric !== undefined) {
    const m = METRIC.exec(flags.metric);
    if (m === null) throw new WorkspaceError(`--metric "${flags.metric}": expected METRIC OP NUMBER, e.g. "score<0.9" (metrics: score, holdout, passed, failed, evalMs)`, "usage", { flag: "--metric", value: flags.metric });
    return { kind: "metric", metric: m[1] as "score", op: m[2] as "<", value: Number(m[3]), text: `not (${flags.metric.trim()})` };
  }
  throw new WorkspaceError("--bisect needs a predicate: --case ID (must pass) or --metric \"score<0.9\" (a bad tree)", "usage", { flag: "--bisect" });
}

/** true = good. */
export function evaluatePredicate(p: Predicate, m: Measurement): boolean {
  if (p.kind === "case") {
    const r = m.results.find((x) => x.id === p.caseId);
    if (r === undefined) throw new WorkspaceError(`case "${p.caseId}" is not in the golden suite`, "not-found", { what: "case", id: p.caseId });
    return r.pass;
  }
  const v = m[p.metric] ?? Number.NaN;
  const bad = p.op === "<" ? v < p.value : p.op === "<=" ? v <= p.value : p.op === ">" ? v > p.value : p.op === ">=" ? v >= p.value : p.op === "==" ? v === p.value : v !== p.value;
  return !bad;
}
