/**
 * What `evolve report` shows, as plain data: the generations of the branch with their recorded
 * scores and diffs, rejected attempts by operator and stage, A/B tests, live metrics per generation
 * and per day, open alerts and the recommendations of a reflection. Built by a pure function from
 * what the ledger and the interaction store hold, so the page and `--json` show the same figures and
 * the assembly is tested without a browser.
 */
import { operatorStats, type OperatorStat } from "../evolution/reflect.js";
import type { LiveMetrics, StatsReport } from "../interactions/index.js";
import { describeFinding, formatP } from "../interactions/index.js";
import type { AttemptRecord, LogEntry } from "../ledger/index.js";
import { TRAILER } from "../ledger/record.js";

/** Diffs beyond this many characters are cut in the page (the full diff is one `git show` away). */
export const DIFF_LIMIT = 20_000;
/** Rejected attempts listed one by one (all of them are counted). */
export const RECENT_ATTEMPTS = 200;

export interface ReportGeneration {
  generation: number;
  commit: string;
  tags: string[];
  /** Commit time, epoch ms. */
  time: number;
  subject: string;
  action: string;
  operator: string;
  proposer: string;
  score: number | null;
  holdout: number | null;
  delta: number | null;
  fixed: string[];
  candidates: number | null;
  /** The commit a rollback reverts. */
  reverts: string | null;
  /** The A/B summary a tuning generation recorded. */
  ab: AbFigures | null;
  diff: string;
  diffTruncated: boolean;
}

export interface AbFigures {
  wins: number;
  losses: number;
  ties: number;
  /** Sign test p-value. */
  p: number | null;
  wilcoxonP: number | null;
}

export interface AbTestRow extends AbFigures {
  generation: number;
  accepted: boolean;
  description: string;
}

export interface RejectedGroup {
  operator: string;
  stage: string;
  count: number;
  /** The most frequent reason of the group, with its count. */
  topReason: string;
  topReasonCount: number;
}

export interface LiveRow {
  key: string;
  generation: number | null;
  interactions: number;
  responseMedianMs: number | null;
  responseP95Ms: number | null;
  errorRate: number | null;
  taskSuccessRate: number | null;
  satisfaction: number | null;
  regression: string | null;
}

export interface ReportData {
  workspace: string;
  branch: string;
  /** Epoch ms. */
  generatedAt: number;
  since: number | null;
  generations: ReportGeneration[];
  rejected: { total: number; groups: RejectedGroup[]; recent: Array<Pick<AttemptRecord, "generation" | "operator" | "reason" | "score" | "at">> };
  operators: OperatorStat[];
  abTests: AbTestRow[];
  live: {
    thresholds: { responseTimeMs: number; errorRate: number; userSatisfaction: number };
    overall: LiveRow;
    byGeneration: LiveRow[];
    byDay: LiveRow[];
  };
  alerts: string[];
  recommendations: string[];
}

export interface ReportInputs {
  workspace: string;
  branch: string;
  now: number;
  since: number | null;
  /** First-parent history, newest first. */
  log: readonly LogEntry[];
  /** Diff of each commit against its first parent, by commit id. */
  diffs: ReadonlyMap<string, string>;
  attempts: readonly AttemptRecord[];
  byGeneration: StatsReport;
  byDay: StatsReport;
  thresholds: { responseTimeMs: number; errorRate: number; userSatisfaction: number };
}

function numberOr(value: string | undefined, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isFinite(n) ? n : fallback;
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Reads an A/B summary written by tuning (Evolve-AB trailer or an attempt's metrics.ab); null when absent or malformed. */
export function abFigures(value: unknown): AbFigures | null {
  if (typeof value === "string") {
    try {
      return abFigures(JSON.parse(value));
    } catch {
      return null;
    }
  }
  if (typeof value !== "object" || value === null) return null;
  const o = value as Record<string, unknown>;
  const count = (k: string): number => (typeof o[k] === "number" && Number.isFinite(o[k]) ? (o[k] as number) : 0);
  const p = (k: string): number | null => (typeof o[k] === "number" && Number.isFinite(o[k]) ? (o[k] as number) : null);
  if (!("wins" in o) && !("p" in o)) return null;
  return { wins: count("wins"), losses: count("losses"), ties: count("ties"), p: p("p"), wilcoxonP: p("wilcoxonP") };
}

function generationOf(e: LogEntry, diffs: ReadonlyMap<string, string>): ReportGeneration | null {
  const t = e.trailers;
  const generation = numberOr(t.get(TRAILER.generation), null);
  if (generation === null) return null;
  const diff = diffs.get(e.commit) ?? "";
  return {
    generation,
    commit: e.commit,
    tags: e.tags,
    time: e.timestamp * 1000,
    subject: e.subject,
    action: t.get(TRAILER.action) ?? "?",
    operator: t.get(TRAILER.operator) ?? "?",
    proposer: t.get(TRAILER.proposer) ?? "?",
    score: numberOr(t.get(TRAILER.score), null),
    holdout: numberOr(t.get(TRAILER.holdout), null),
    delta: numberOr(t.get(TRAILER.delta), null),
    fixed: (t.get(TRAILER.fixed) ?? "none") === "none" ? [] : (t.get(TRAILER.fixed) ?? "").split(/,\s*/).filter(Boolean),
    candidates: numberOr(t.get(TRAILER.candidates), null),
    reverts: t.get(TRAILER.reverts) ?? null,
    ab: abFigures(t.get("Evolve-AB")),
    diff: diff.length > DIFF_LIMIT ? diff.slice(0, DIFF_LIMIT) : diff,
    diffTruncated: diff.length > DIFF_LIMIT,
  };
}

/** The stage an attempt was stopped at: recorded in its metrics, else the word before the reason's first colon. */
export function stageOf(a: AttemptRecord): string {
  const stage = a.metrics["stage"];
  if (typeof stage === "string" && stage.length > 0) return stage;
  const head = /^([a-z-]+):/.exec(a.reason);
  if (head) return head[1]!;
  return a.score === null ? "refused" : "judge";
}

/** Reasons differ by their figures; grouping ignores those so "score 0.5 < 0.6" and "score 0.4 < 0.6" count together. */
export function reasonClass(reason: string): string {
  return reason.replace(/\s+/g, " ").replace(/-?\d+(\.\d+)?(e-?\d+)?/g, "N").slice(0, 160);
}

function rejectedGroups(attempts: readonly AttemptRecord[]): RejectedGroup[] {
  const groups = new Map<string, { operator: string; stage: string; count: number; reasons: Map<string, number> }>();
  for (const a of attempts) {
    const stage = stageOf(a);
    const key = `${a.operator}\u0000${stage}`;
    const g = groups.get(key) ?? { operator: a.operator, stage, count: 0, reasons: new Map<string, number>() };
    g.count += 1;
    const r = reasonClass(a.reason);
    g.reasons.set(r, (g.reasons.get(r) ?? 0) + 1);
    groups.set(key, g);
  }
  return [...groups.values()]
    .map((g) => {
      const [topReason, topReasonCount] = [...g.reasons].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))[0]!;
      return { operator: g.operator, stage: g.stage, count: g.count, topReason, topReasonCount };
    })
    .sort((x, y) => y.count - x.count || x.operator.localeCompare(y.operator) || x.stage.localeCompare(y.stage));
}

function liveRow(key: string, generation: number | null, m: LiveMetrics, regression: string | null): LiveRow {
  const rate = (r: { n: number; estimate: number }): number | null => (r.n === 0 ? null : finite(r.estimate));
  return {
    key,
    generation,
    interactions: m.interactions,
    responseMedianMs: finite(m.responseTimeMs.median),
    responseP95Ms: finite(m.responseTimeMs.p95),
    errorRate: rate(m.errorRate),
    taskSuccessRate: rate(m.taskSuccessRate),
    satisfaction: m.userSatisfaction.n === 0 ? null : finite(m.userSatisfaction.estimate),
    regression,
  };
}

function abTests(generations: readonly ReportGeneration[], attempts: readonly AttemptRecord[]): AbTestRow[] {
  const rows: AbTestRow[] = [];
  for (const g of generations) if (g.ab) rows.push({ generation: g.generation, accepted: true, description: g.subject, ...g.ab });
  for (const a of attempts) {
    const ab = abFigures(a.metrics["ab"]);
    if (ab) rows.push({ generation: a.generation, accepted: false, description: a.description, ...ab });
  }
  return rows.sort((x, y) => y.generation - x.generation || Number(y.accepted) - Number(x.accepted));
}

/**
 * What a reader should look at next, most urgent first: live regressions, alerts, then what the
 * history says about the operators (the same reading the loop's reflection makes).
 */
function recommendations(data: Omit<ReportData, "recommendations">, generations: readonly ReportGeneration[]): string[] {
  const out: string[] = [];
  for (const row of data.live.byGeneration) {
    if (row.regression !== null) out.push(`gen ${row.generation} serves worse than its parent (${row.regression}): check it with \`evolve stats --by generation\` and revert it with \`evolve rollback\` if it holds`);
  }
  for (const a of data.alerts) out.push(`alert: ${a}`);
  const tip = generations[0];
  if (tip && tip.score !== null && tip.score < 1) out.push(`the tip (gen ${tip.generation}) scores ${tip.score}: run \`evolve run\` to repair the failing cases`);
  if (tip && tip.holdout !== null && tip.score !== null && tip.holdout < tip.score - 0.2) out.push(`holdout ${tip.holdout} trails the train score ${tip.score}: the accepted changes may overfit; add cases to the train split`);
  const worked = data.operators.filter((o) => o.accepted > 0).slice(0, 3).map((o) => o.operator);
  if (worked.length > 0) out.push(`operators that worked here: ${worked.join(", ")}`);
  const barren = data.operators.filter((o) => o.accepted === 0 && o.tried >= 20).map((o) => o.operator);
  if (barren.length > 0) out.push(`operators tried 20+ times without success: ${barren.join(", ")}`);
  const refused = data.rejected.groups.filter((g) => g.stage === "approval").reduce((s, g) => s + g.count, 0);
  if (refused > 0) out.push(`${refused} candidate(s) were held for approval: review them with \`evolve attempts\``);
  if (out.length === 0) out.push("nothing needs attention");
  return out;
}

export function reportData(i: ReportInputs): ReportData {
  const generations = i.log.map((e) => generationOf(e, i.diffs)).filter((g): g is ReportGeneration => g !== null);
  const tries = [
    ...generations.filter((g) => g.action !== "init" && g.action !== "rollback").map((g) => ({ operator: g.operator, accepted: true })),
    ...i.attempts.map((a) => ({ operator: a.operator, accepted: false })),
  ];
  const sortedAttempts = [...i.attempts].sort((a, b) => b.at.localeCompare(a.at));
  const byGeneration = i.byGeneration.groups.map((g) =>
    liveRow(g.key, g.generation, g.metrics, g.regression ? g.regression.findings.map(describeFinding).join("; ") : null),
  );
  const alerts = [
    ...i.byGeneration.alerts.map((a) => a.message),
    ...i.byGeneration.groups.filter((g) => g.regression).map((g) => `live regression in gen ${g.generation}: ${g.regression!.findings.map((f) => `${f.metric} p=${formatP(f.p)}`).join(", ")}`),
  ];
  const partial: Omit<ReportData, "recommendations"> = {
    workspace: i.workspace,
    branch: i.branch,
    generatedAt: i.now,
    since: i.since,
    generations,
    rejected: {
      total: i.attempts.length,
      groups: rejectedGroups(i.attempts),
      recent: sortedAttempts.slice(0, RECENT_ATTEMPTS).map((a) => ({ generation: a.generation, operator: a.operator, reason: a.reason, score: a.score, at: a.at })),
    },
    operators: operatorStats(tries),
    abTests: abTests(generations, i.attempts),
    live: {
      thresholds: i.thresholds,
      overall: liveRow("all", null, i.byGeneration.overall, null),
      byGeneration,
      byDay: i.byDay.groups.map((g) => liveRow(g.key, null, g.metrics, null)),
    },
    alerts,
  };
  return { ...partial, recommendations: recommendations(partial, generations) };
}
