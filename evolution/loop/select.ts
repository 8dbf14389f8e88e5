/**
 * Stage 5, select the winner: rank the accepted candidates (score, then holdout, then the smaller
 * change), re-run the best ones until one gives the same result `safety.recheckRepeats` more
 * times, and record everything else as attempts. A candidate held for approval is not a failure
 * of its operator: it is kept as an attempt (for `evolve approve`) but teaches reflection nothing.
 */
import type { Evaluator } from "../../golden-tests/evaluate.js";
import { recordAttempts } from "../../ledger/index.js";
import type { AttemptRecord } from "../../ledger/index.js";
import { compareAccepted } from "../search-policy.js";
import type { PatchShape } from "../search-policy.js";
import { changedLines } from "./state.js";
import type { RunState, Tried } from "./state.js";

const EPSILON = 1e-9;

export async function selectWinner(state: RunState, tried: readonly Tried[], evaluator: Evaluator): Promise<Tried | null> {
  const ranked = tried.filter((r) => r.verdict?.accept === true && r.stage !== "approval").sort((a, b) => compareAccepted(rank(a), rank(b)));
  for (const w of ranked) {
    const flaky = await stabilityProblem(w, evaluator, state.ws.config.safety.recheckRepeats);
    if (flaky === null) return w;
    w.verdict = { ...w.verdict!, accept: false, reason: `rejected: ${flaky}` };
    w.reason = w.verdict.reason;
  }
  return null;
}

/** Everything of the round but the winner goes to the attempts notes; operator failures feed reflection. */
export async function recordLosers(state: RunState, tried: readonly Tried[], winner: Tried | null): Promise<void> {
  const losers = tried.filter((r) => r !== winner);
  if (losers.length > 0) await recordAttempts(state.root, state.ws.commit, losers.map((r) => attemptOf(r, state.generation, state.ws.commit)), state.ws.config.history);
  for (const r of losers) if (r.stage !== "approval") state.tries.push({ operator: r.candidate.origin.operator, accepted: false });
}

/** Re-runs the winner; any difference in what passes means its score cannot be trusted. */
async function stabilityProblem(w: Tried, evaluator: Evaluator, repeats: number): Promise<string | null> {
  if (repeats <= 0) return null;
  let code = w.code;
  if (code === undefined) {
    const built = await evaluator.build(w.candidate.files);
    if (!built.ok) return `build: ${built.reason}`;
    code = built.code;
  }
  const want = w.measurement!;
  for (let i = 0; i < repeats; i++) {
    const { measurement } = await evaluator.run(code);
    if (Math.abs(measurement.score - want.score) > EPSILON || measurement.passed !== want.passed) {
      return `flaky: score ${want.score} on first run, ${measurement.score} on re-check ${i + 1} of ${repeats}`;
    }
  }
  return null;
}

function rank(t: Tried): { score: number; holdout: number | null; shape: PatchShape } {
  return { score: t.measurement!.score, holdout: t.measurement!.holdout, shape: { changedLines: changedLines(t.diff), operators: t.candidate.origin.operator.split("+") } };
}

export function attemptOf(r: Tried, generation: number, base: string): AttemptRecord {
  return {
    generation,
    base,
    tree: r.tree,
    operator: r.candidate.origin.operator,
    proposer: r.candidate.origin.proposer,
    description: r.candidate.origin.description,
    diff: r.diff,
    score: r.measurement?.score ?? null,
    holdout: r.measurement?.holdout ?? null,
    reason: r.reason,
    metrics: r.measurement === null ? { stage: r.stage } : { stage: r.stage, passed: r.measurement.passed, failed: r.measurement.failed, evalMs: r.measurement.evalMs },
    at: new Date().toISOString(),
  };
}
