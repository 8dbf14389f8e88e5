/**
 * The judge: decides whether a candidate's measured suite beats its base. Pure: it sees only scores.
 *
 * Accept when all hold:
 *  1. the weighted train score rises by at least `threshold`;
 *  2. no case that passed on the base and is marked `mustPass` fails on the candidate;
 *  3. the holdout score does not drop (holdout only vetoes: it never chooses, so it cannot be overfit).
 */

/** The slice of a measured suite the judge reads. */
export interface MeasuredSuite {
  /** Weighted train score, 0..1. */
  score: number;
  /** Weighted holdout score, 0..1, or null when the suite has no holdout cases. */
  holdout: number | null;
  results: ReadonlyArray<{ id: string; pass: boolean }>;
}

/** The mustPass flag and split of each case, by id. */
export type CaseFlags = ReadonlyMap<string, { mustPass: boolean; split: "train" | "holdout" }>;

export interface Verdict {
  accept: boolean;
  /** One line a user can read: why. */
  reason: string;
  /** Case ids that failed on the base and pass on the candidate. */
  fixed: string[];
  /** Case ids that passed on the base and fail on the candidate. */
  broken: string[];
  delta: number;
}

/** Tolerance for comparing scores that are sums of rounded floats. */
const EPSILON = 1e-9;

export function judge(base: MeasuredSuite, candidate: MeasuredSuite, flags: CaseFlags, threshold: number): Verdict {
  const before = new Map(base.results.map((r) => [r.id, r.pass]));
  const fixed: string[] = [];
  const broken: string[] = [];
  for (const r of candidate.results) {
    const was = before.get(r.id);
    if (was === false && r.pass) fixed.push(r.id);
    if (was === true && !r.pass) broken.push(r.id);
  }
  const delta = round6(candidate.score - base.score);
  const verdict = (accept: boolean, reason: string): Verdict => ({ accept, reason, fixed, broken, delta });

  const mustPassBroken = broken.filter((id) => flags.get(id)?.mustPass === true);
  if (mustPassBroken.length > 0) {
    return verdict(false, `rejected: mustPass case${plural(mustPassBroken)} ${mustPassBroken.join(", ")} now fail${mustPassBroken.length === 1 ? "s" : ""}`);
  }
  if (base.holdout !== null && candidate.holdout !== null && candidate.holdout < base.holdout - EPSILON) {
    return verdict(false, `rejected: holdout score fell ${fmt(base.holdout)} -> ${fmt(candidate.holdout)} (overfitting guard)`);
  }
  if (candidate.score < base.score + threshold - EPSILON) {
    const what = delta < -EPSILON ? "fell" : delta > EPSILON ? "rose too little" : "unchanged";
    return verdict(false, `rejected: train score ${what} ${fmt(base.score)} -> ${fmt(candidate.score)} (needs +${fmt(threshold)})`);
  }
  const fixes = fixed.length > 0 ? `; fixed ${fixed.join(", ")}` : "";
  const holdout = candidate.holdout === null ? "" : `, holdout ${fmt(base.holdout ?? 0)} -> ${fmt(candidate.holdout)}`;
  return verdict(true, `accepted: train ${fmt(base.score)} -> ${fmt(candidate.score)} (+${fmt(delta)})${holdout}${fixes}`);
}

/** Order of preference among accepted candidates of one round: higher train, then higher holdout, then smaller change. */
export function better(
  a: { score: number; holdout: number | null; changedLines: number },
  b: { score: number; holdout: number | null; changedLines: number },
): boolean {
  if (Math.abs(a.score - b.score) > EPSILON) return a.score > b.score;
  const ah = a.holdout ?? 0;
  const bh = b.holdout ?? 0;
  if (Math.abs(ah - bh) > EPSILON) return ah > bh;
  return a.changedLines < b.changedLines;
}

export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function fmt(x: number): string {
  return String(round6(x));
}

function plural(xs: readonly unknown[]): string {
  return xs.length === 1 ? "" : "s";
}
