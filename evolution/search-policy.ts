/**
 * The search policy of the built-in proposer, as pure functions the loop calls:
 *
 *  - order: by suspiciousness, and at equally suspicious code by an operator prior, so that the small,
 *    common fixes (an operator, a bound, an in-scope name) are tried before broad insertions;
 *  - keep what passes: a candidate that breaks a case the base passed is never accepted, even when
 *    its score rises (it trades one behaviour for another, which is how overfitted patches start);
 *  - rank ties like the patch-prioritisation results of the APR literature: smaller change first,
 *    then not deleting statements, then edits that keep the code's own vocabulary (copies and
 *    renamings of what is there) over invented guards;
 *  - escalate instead of giving up: when a base's stream is exhausted with budget left, pairs of
 *    edits around the most suspicious lines (beyond the first pool) are tried before stopping.
 */
import type { Edit, OperatorName } from "./edits.js";
import type { Verdict } from "./judge.js";

/**
 * Relative prior of an operator being the fix, used only to order edits at equal suspiciousness:
 * edits that reuse the code's own names (operators, bounds, in-scope variables, parameters) first;
 * new method names, properties and statement insertions after (they are many, and a coincidental
 * value is more likely to overfit).
 */
export const OPERATOR_PRIOR: Readonly<Record<OperatorName, number>> = {
  arithmetic: 1,
  boundary: 1,
  comparison: 1,
  logical: 1,
  literal: 1,
  identifier: 1,
  "negate-condition": 1,
  "statement-delete": 0.5,
  "statement-duplicate": 0.5,
  "statement-swap": 0.8,
  "statement-copy": 0.5,
  "return-value": 0.7,
  "compound-assignment": 1,
  "off-by-one": 0.9,
  access: 0.9,
  "call-arguments": 1,
  "sibling-method": 0.9,
  "insert-jump": 0.9,
  "insert-guard": 0.7,
  "statement-insert": 0.6,
  "loop-direction": 0.9,
  "return-variable": 0.8,
  "param-adjust": 1,
};

/**
 * Edits ordered by suspiciousness times the reflection's factor, as before; at equal keys (the
 * statements a test run cannot tell apart) by the operator prior, then in their seeded order.
 */
export function orderEdits(edits: readonly Edit[], weight: (file: string, offset: number) => number, factors: Readonly<Record<string, number>>): Edit[] {
  return edits
    .map((e, i) => ({ e, i, k: weight(e.file, e.start) * (factors[e.operator] ?? 1), p: OPERATOR_PRIOR[e.operator] ?? 1 }))
    .sort((a, b) => b.k - a.k || b.p - a.p || a.i - b.i)
    .map((x) => x.e);
}

/** The judge's verdict, refused when the candidate breaks a case the base passed. */
export function keepPassing(v: Verdict): Verdict {
  if (!v.accept || v.broken.length === 0) return v;
  return { ...v, accept: false, reason: `rejected: fixes ${v.fixed.join(", ") || "nothing"} but breaks ${v.broken.join(", ")}, which passed (no trading one case for another)` };
}

/** How a candidate changes the code, for ranking candidates that tie on score. */
export interface PatchShape {
  /** Lines added plus lines removed in its diff. */
  changedLines: number;
  /** The operators of its edits, e.g. ["boundary"] or ["literal", "statement-delete"]. */
  operators: readonly string[];
}

const INVENTED: ReadonlySet<string> = new Set(["insert-guard", "return-value", "statement-delete"]);

/** Lower is preferred: size of the change, then deletions, then edits that invent rather than reuse code. */
export function patchCost(p: PatchShape): number {
  const deletes = p.operators.filter((o) => o === "statement-delete").length;
  const invented = p.operators.filter((o) => INVENTED.has(o)).length;
  return p.changedLines * 4 + p.operators.length * 2 + deletes * 3 + invented;
}

/** Scores within this are ties. */
const EPSILON = 1e-9;

/** Order of preference among accepted candidates: train score, holdout, then patchCost. Negative when `a` comes first. */
export function compareAccepted(a: { score: number; holdout: number | null; shape: PatchShape }, b: { score: number; holdout: number | null; shape: PatchShape }): number {
  if (Math.abs(a.score - b.score) > EPSILON) return b.score - a.score;
  const ah = a.holdout ?? 0;
  const bh = b.holdout ?? 0;
  if (Math.abs(ah - bh) > EPSILON) return bh - ah;
  return patchCost(a.shape) - patchCost(b.shape);
}

/** Suspicious lines whose edits are combined when a base's first stream is exhausted. */
const FOCUS_LINES = 4;
/** Edits per focus line taken into the combinations. */
const PER_LINE = 12;

/**
 * Pairs of edits drawn from the most suspicious lines (by the order given, most suspicious first),
 * skipping the pairs the first stream already made (both among its first `firstPool`). Pairs on
 * different lines first: a bug spread over two statements is the common case the first pool misses.
 */
export function focusedPairs(ordered: readonly Edit[], firstPool: number): Edit[][] {
  const lines: string[] = [];
  const byLine = new Map<string, Edit[]>();
  ordered.forEach((e) => {
    const key = `${e.file}:${e.line}`;
    if (!byLine.has(key)) {
      if (lines.length >= FOCUS_LINES) return;
      lines.push(key);
      byLine.set(key, []);
    }
    const list = byLine.get(key)!;
    if (list.length < PER_LINE) list.push(e);
  });
  const rank = new Map(ordered.map((e, i) => [e, i]));
  const pool = lines.flatMap((l) => byLine.get(l)!);
  const across: Edit[][] = [];
  const within: Edit[][] = [];
  for (let i = 0; i < pool.length; i++) {
    for (let j = i + 1; j < pool.length; j++) {
      const a = pool[i]!;
      const b = pool[j]!;
      if (rank.get(a)! < firstPool && rank.get(b)! < firstPool) continue;
      if (a.file === b.file && a.start < b.end && b.start < a.end) continue;
      (a.line === b.line ? within : across).push([a, b]);
    }
  }
  return [...across, ...within];
}
