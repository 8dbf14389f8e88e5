/**
 * Live regressions, checked by the watcher after each cycle and each reload, through the one check
 * `evolve improve` uses (history/live-revert.ts): the generation serving users is tested against the
 * one before it with the config's minimum sample size, a finding must hold in the later half of its
 * interactions and on a second read of the store (never a revert on a glitch), and with
 * `safety.rollbackOnRegression` it is reverted through the ordinary rollback, the evidence in the
 * revert's `Evolve-Live-Regression` trailer. Here it runs holding the workspace lock.
 */
import { checkLiveRegression as checkServing, type LiveDecision } from "../history/live-revert.js";
import type { RollbackResult } from "../history/rollback.js";
import { describeFinding, type LiveRegressionEvidence } from "../interactions/index.js";
import { withWorkspaceLock } from "../ledger/index.js";

export interface LiveCheck {
  decision: LiveDecision;
  /** One line for people (why nothing was done, too). */
  reason: string;
  /** The serving generation and the commit that made it (null when nothing was recorded for it). */
  generation: number | null;
  commit: string | null;
  /** The evidence when the serving generation regressed (reverted or only reported); null otherwise. */
  regression: LiveRegressionEvidence | null;
  /** One line per significant finding. */
  findings: string[];
  /** The revert, when one was made. */
  reverted: RollbackResult | null;
}

/** Tests the serving generation against its predecessor; reverts it (holding the lock) when configured to. */
export async function checkLiveRegression(root: string, command: string): Promise<LiveCheck> {
  const c = await withWorkspaceLock(root, { command }, () => checkServing(root, { revert: true }));
  const regressed = c.decision === "alert" || c.decision === "reverted";
  return {
    decision: c.decision,
    reason: c.reason,
    generation: c.generation,
    commit: c.commit,
    regression: regressed ? c.evidence : null,
    findings: regressed ? (c.evidence?.findings.map(describeFinding) ?? []) : [],
    reverted: c.reverted,
  };
}
