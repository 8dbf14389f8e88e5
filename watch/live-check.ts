/**
 * Live regressions, checked by the watcher after each cycle and each reload: is the generation at
 * the branch tip, as it was used, significantly worse than the generation before it (the stated
 * tests of interactions/regression.ts, with the config's minimum sample size)? When it is and
 * `safety.rollbackOnRegression` is on, it is reverted through the rollback path every `evolve
 * rollback` takes: a revert commit, measured, tagged; nothing is lost.
 */
import { rollback, type RollbackResult } from "../history/rollback.js";
import { describeFinding, statsReport, type LiveRegressionEvidence } from "../interactions/index.js";
import { parseTrailers, readCommitInfo, resolveRef, withWorkspaceLock } from "../ledger/index.js";
import { TRAILER } from "../ledger/record.js";
import { openWorkspaceStore, readCommittedConfig } from "../workspace/interactions.js";

export interface LiveCheck {
  /** The tip's generation and the commit that made it (user commits after it, such as promoted cases, serve it too). */
  generation: number;
  commit: string;
  /** The evidence when the tip's generation regressed; null when it did not (or too few interactions to say). */
  regression: LiveRegressionEvidence | null;
  /** One line per significant finding. */
  findings: string[];
  /** The revert, when one was made. */
  reverted: RollbackResult | null;
}

/** The latest generation at or before `tip` on the first-parent chain, and its commit; generation 0 is the root. */
async function tipGeneration(root: string, tip: string): Promise<{ generation: number; commit: string }> {
  for (let at: string | undefined = tip; at !== undefined; ) {
    const info = await readCommitInfo(root, at);
    const g = Number(parseTrailers(info.message).get(TRAILER.generation) ?? Number.NaN);
    if (Number.isInteger(g)) return { generation: g, commit: at };
    if (info.parents.length === 0) return { generation: 0, commit: at };
    at = info.parents[0];
  }
  return { generation: 0, commit: tip };
}

/** Tests the tip's generation against its predecessor; reverts it (holding the lock) when configured to. */
export async function checkLiveRegression(root: string, command: string): Promise<LiveCheck> {
  const tip = await resolveRef(root, "HEAD");
  const { generation, commit } = await tipGeneration(root, tip);
  const none: LiveCheck = { generation, commit, regression: null, findings: [], reverted: null };
  const store = await openWorkspaceStore(root, { create: false });
  if (store === null) return none;
  const config = await readCommittedConfig(root);
  let regression: LiveRegressionEvidence | null;
  try {
    const { responseTimeMs, errorRate, userSatisfaction } = config.monitoring.alerts;
    const report = statsReport(store.metricColumns(), {
      by: "generation",
      since: null,
      now: Date.now(),
      thresholds: { responseTimeMs, errorRate, userSatisfaction, minSamples: config.monitoring.minSamples },
      tracked: config.monitoring.metrics,
      commits: store.servedBy(),
    });
    regression = report.groups.find((g) => g.generation === generation)?.regression ?? null;
  } finally {
    store.close();
  }
  if (regression === null) return none;
  const findings = regression.findings.map(describeFinding);
  if (!config.safety.rollbackOnRegression || generation === 0) return { ...none, regression, findings };
  // Reverted only if the branch did not move meanwhile: what was tested is what is undone.
  const why = [`Rolled back by \`${command}\`: generation ${generation} did significantly worse in use than generation ${regression.parent.generation ?? "?"} (safety.rollbackOnRegression):`, ...findings.map((f) => `- ${f}`)];
  const reverted = await withWorkspaceLock(root, { command }, async () => ((await resolveRef(root, "HEAD")) === tip ? rollback(root, commit, { why }) : null));
  return { ...none, regression, findings, reverted };
}
