/**
 * Reads what the report shows from a workspace: the branch's first-parent history with trailers,
 * diffs of the newest generations, rejected attempts (git notes), and the interaction store's live
 * metrics by generation and by day. Reads only: a report never writes to the workspace.
 */
import { commitDiff } from "../history/diff-stat.js";
import { statsReport } from "../interactions/index.js";
import { firstParentLog, headBranch, readAttempts } from "../ledger/index.js";
import { liveThresholdsOf, readCommittedConfig, readLiveWindow } from "../workspace/interactions.js";
import { reportData, type ReportData } from "./data.js";

/** Diffs are read for the newest this many generations: the page stays small on long histories. */
export const DIFFS_FOR = 100;

export interface GatherOptions {
  root: string;
  /** Start of the window (epoch ms) for generations, attempts and interactions; null for all. */
  since: number | null;
  now: number;
}

export async function gatherReport(o: GatherOptions): Promise<ReportData> {
  const config = await readCommittedConfig(o.root);
  const branch = (await headBranch(o.root)) ?? "HEAD (detached)";
  const all = await firstParentLog(o.root, "HEAD");
  const log = o.since === null ? all : all.filter((e) => e.timestamp * 1000 >= o.since!);
  const diffs = new Map<string, string>();
  for (const e of log.slice(0, DIFFS_FOR)) {
    diffs.set(e.commit, (await commitDiff(o.root, e.parents[0] ?? null, e.commit)).patch);
  }
  // Notes hold the attempts of every branch; the report is about this one.
  const onBranch = new Set(all.map((e) => e.commit));
  const attempts = (await readAttempts(o.root)).filter((a) => onBranch.has(a.base) && (o.since === null || Date.parse(a.at) >= o.since));

  const { rows, commits } = await readLiveWindow(o.root, o.since);
  const thresholds = liveThresholdsOf(config);
  const stats = (by: "generation" | "day") => statsReport(rows, { by, since: o.since, now: o.now, thresholds, tracked: config.monitoring.metrics, commits });
  return reportData({
    workspace: o.root,
    branch,
    now: o.now,
    since: o.since,
    log,
    diffs,
    attempts,
    byGeneration: stats("generation"),
    byDay: stats("day"),
    thresholds: { responseTimeMs: thresholds.responseTimeMs, errorRate: thresholds.errorRate, userSatisfaction: thresholds.userSatisfaction },
  });
}
