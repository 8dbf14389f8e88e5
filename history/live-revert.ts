/**
 * Live regressions acted on: the generation serving users now is tested against the latest earlier
 * generation that served them (interactions/regression.ts); a significant regression raises an
 * alert, and with `safety.rollbackOnRegression` the generation is reverted through the ordinary
 * rollback (a git revert, measured and tagged like any generation) with the evidence in its
 * `Evolve-Live-Regression` trailer.
 *
 * Never on a glitch: each side needs `monitoring.minSamples` interactions, the finding must hold in
 * the later half of the generation's interactions too (a burst of failures that has stopped, such
 * as a model server down for a minute, does not), and the store is read again just before the
 * revert, so the decision rests on the newest data.
 */
import { groupRows, liveRegression, pickRows, sampleOf, describeFinding, type LiveRegressionEvidence, type MetricColumns, type InteractionStore } from "../interactions/index.js";
import { firstParentLog } from "../ledger/index.js";
import { TRAILER, type LiveRegressionTrailer } from "../ledger/record.js";
import { openWorkspaceStore, readCommittedConfig } from "../workspace/interactions.js";
import type { EvolveConfig } from "../workspace/config.js";
import { rollback, type RollbackResult } from "./rollback.js";

/** What the check concluded. */
export type LiveDecision =
  /** Nothing to compare: no store, no interactions of the serving generation, or none of an earlier one. */
  | "no-data"
  /** No metric is significantly worse (or none had enough observations to test). */
  | "healthy"
  /** Significantly worse overall, but not in the later half of its interactions (or too few there yet). */
  | "glitch"
  /** A regression, reported; not reverted (rollbackOnRegression off, or a dry run). */
  | "alert"
  /** A regression, reverted. */
  | "reverted";

export interface LiveCheck {
  decision: LiveDecision;
  /** One line for people. */
  reason: string;
  /** The generation tested and the commit that introduced it. */
  generation: number | null;
  commit: string | null;
  /** The generation it was compared with. */
  parent: number | null;
  evidence: LiveRegressionEvidence | null;
  /** The revert, when one was made. */
  reverted: RollbackResult | null;
}

export interface LiveCheckOptions {
  /** Revert a confirmed regression when the config allows it (false: only report). */
  revert: boolean;
  /** Family-wise level of the tests (default 0.05). */
  alpha?: number;
}

interface Assessment {
  decision: Exclude<LiveDecision, "alert" | "reverted"> | "regressed";
  reason: string;
  generation: number | null;
  parent: number | null;
  evidence: LiveRegressionEvidence | null;
}

/** Checks the serving generation of the workspace at `root` and, if allowed, reverts a regression. */
export async function checkLiveRegression(root: string, options: LiveCheckOptions): Promise<LiveCheck> {
  const config = await readCommittedConfig(root);
  const log = await firstParentLog(root, "HEAD", { limit: 10_000, tags: false });
  const serving = servingGeneration(log);
  const none = { commit: serving?.commit ?? null, reverted: null };
  const first = await assessStore(root, config, serving?.generation ?? null, options.alpha);
  if (first.decision !== "regressed") return { ...first, ...none, decision: first.decision };
  const lines = first.evidence!.findings.map(describeFinding);
  if (!options.revert || !config.safety.rollbackOnRegression || serving === null || serving.generation === 0) {
    const why = serving?.generation === 0 ? "generation 0 is the initial agent" : !config.safety.rollbackOnRegression ? "safety.rollbackOnRegression is off" : "this was a check only";
    return { ...first, ...none, decision: "alert", reason: `gen ${first.generation} regressed against gen ${first.parent}: ${lines.join("; ")}; not reverted: ${why}` };
  }
  // Read again just before acting: other processes keep recording while the first check ran.
  const again = await assessStore(root, config, serving.generation, options.alpha);
  if (again.decision !== "regressed") return { ...again, ...none, decision: again.decision, reason: `on re-check: ${again.reason}` };
  const evidence = again.evidence!;
  const reverted = await rollback(root, serving.commit, {
    proposer: "live-monitor",
    details: [
      `Reverted by the live monitor: gen ${evidence.child.generation} served users significantly worse than gen ${evidence.parent.generation} (${evidence.child.n} vs ${evidence.parent.n} interactions, family-wise alpha ${evidence.alpha}, confirmed in the later half of its interactions and on a second read of the store).`,
      ...evidence.findings.map((f) => `- ${describeFinding(f)}`),
      "The golden-suite score below was measured on the reverted tree.",
    ],
    liveRegression: trailerOf(evidence),
  });
  return { ...again, commit: serving.commit, decision: "reverted", reason: `gen ${again.generation} reverted (${reverted.tag}): ${evidence.findings.map(describeFinding).join("; ")}`, reverted };
}

/** The generation HEAD serves: the newest Evolve-Generation trailer of the first-parent history, and its commit. */
export function servingGeneration(log: ReadonlyArray<{ commit: string; trailers: Map<string, string> }>): { generation: number; commit: string } | null {
  for (const e of log) {
    const g = Number(e.trailers.get(TRAILER.generation));
    if (e.trailers.has(TRAILER.generation) && Number.isInteger(g)) return { generation: g, commit: e.commit };
  }
  return null;
}

async function assessStore(root: string, config: EvolveConfig, generation: number | null, alpha: number | undefined): Promise<Assessment> {
  const empty = { generation, parent: null, evidence: null };
  if (generation === null) return { ...empty, decision: "no-data", reason: "no generation recorded in the history" };
  const store: InteractionStore | null = await openWorkspaceStore(root, { create: false });
  if (store === null) return { ...empty, decision: "no-data", reason: "nothing recorded yet (no interaction store)" };
  let rows: MetricColumns;
  try {
    rows = store.metricColumns();
  } finally {
    store.close();
  }
  return assessLive(rows, generation, { minSamples: config.monitoring.minSamples, metrics: config.monitoring.metrics, ...(alpha !== undefined ? { alpha } : {}) });
}

/**
 * The decision from recorded rows, pure: `generation` against the latest earlier generation with
 * interactions; a regression must also show in the later half (by time) of `generation`'s rows.
 */
export function assessLive(rows: MetricColumns, generation: number, t: { minSamples: number; metrics: readonly string[]; alpha?: number }): Assessment {
  const groups = groupRows(rows, "generation");
  const child = groups.find((g) => g.generation === generation);
  const parent = groups.filter((g) => g.generation !== null && g.generation < generation).at(-1);
  const base = { generation, parent: parent?.generation ?? null, evidence: null };
  if (child === undefined) return { ...base, decision: "no-data", reason: `gen ${generation} has served no recorded interaction yet` };
  if (parent === undefined) return { ...base, decision: "no-data", reason: `no generation before gen ${generation} served recorded interactions` };
  const thresholds = { minSamples: t.minSamples, metrics: t.metrics, ...(t.alpha !== undefined ? { alpha: t.alpha } : {}) };
  const parentSample = sampleOf(parent.rows, parent.generation);
  const evidence = liveRegression(parentSample, sampleOf(child.rows, generation), thresholds);
  if (evidence === null) {
    return { ...base, decision: "healthy", reason: `gen ${generation} (${child.rows.n} interactions) is not significantly worse than gen ${parent.generation} (${parent.rows.n}) on any tested metric` };
  }
  const later = laterHalf(child.rows);
  const persists = liveRegression(parentSample, sampleOf(later, generation), { ...thresholds, metrics: evidence.findings.map((f) => f.metric) });
  if (persists === null) {
    return { ...base, evidence, decision: "glitch", reason: `gen ${generation} looks worse overall (${evidence.findings.map(describeFinding).join("; ")}) but not in the later ${later.n} of its interactions: a passing glitch, or too few yet to tell; not reverted` };
  }
  return { ...base, evidence, decision: "regressed", reason: evidence.findings.map(describeFinding).join("; ") };
}

/** The later half of the rows by start time (the newer half when the count is odd). */
function laterHalf(rows: MetricColumns): MetricColumns {
  const order = Array.from({ length: rows.n }, (_, i) => i).sort((a, b) => rows.startedAt[a]! - rows.startedAt[b]! || a - b);
  return pickRows(rows, order.slice(Math.floor(rows.n / 2)));
}

function trailerOf(e: LiveRegressionEvidence): LiveRegressionTrailer {
  return {
    parent: e.parent.generation,
    child: e.child.generation,
    alpha: e.alpha,
    findings: e.findings.map((f) => ({ metric: f.metric, test: f.test, parent: f.parent, child: f.child, p: Number(f.p.toPrecision(4)), level: Number(f.level.toPrecision(4)) })),
  };
}
