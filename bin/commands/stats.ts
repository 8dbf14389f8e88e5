/**
 * `evolve stats [--since DURATION] [--by generation|day]`: the agent's live metrics from recorded
 * interactions: medians and p95 of response time, rates with 95% Wilson intervals, mean satisfaction,
 * alerts against monitoring.alerts, the trend between the halves of the window, and per generation
 * the test against the latest earlier generation (live regression).
 */
import { describeFinding, formatP, parseTimePoint, percent, statsReport, type LiveMetrics, type Rate, type StatsGroup, type StatsReport } from "../../interactions/index.js";
import { liveThresholdsOf, readCommittedConfig, readLiveWindow } from "../../workspace/interactions.js";
import { c, output, table, type Out } from "../output.js";
import { ms, when } from "./interactions.js";
import { workspaceFromFlag } from "./workspace-flag.js";

export interface StatsFlags {
  workspace?: string;
  since?: string;
  by?: "generation" | "day";
  json?: boolean;
}

function rateText(r: Rate): string {
  return r.n === 0 ? "-" : `${percent(r.estimate)} (${r.count}/${r.n}), 95% CI ${percent(r.low)}-${percent(r.high)}`;
}

function metricLines(m: LiveMetrics): string[][] {
  const us = m.userSatisfaction;
  return [
    ["response_time", `median ${ms(m.responseTimeMs.median)}, p95 ${ms(m.responseTimeMs.p95)} (first token: median ${ms(m.firstTokenMs.median)}, p95 ${ms(m.firstTokenMs.p95)})`],
    ["error_rate", rateText(m.errorRate)],
    ["task_success_rate", rateText(m.taskSuccessRate)],
    ["user_satisfaction", us.n === 0 ? "- (no ratings yet)" : `${us.estimate.toFixed(2)}/5 from ${us.n} rating(s)${us.n > 1 ? `, 95% CI ${us.low.toFixed(2)}-${us.high.toFixed(2)}` : ""}`],
    ["tokens_per_second", m.tokensPerSecond.n === 0 ? "-" : `median ${m.tokensPerSecond.median.toFixed(0)}`],
  ];
}

function versus(g: StatsGroup): string {
  const cmp = g.comparison;
  if (cmp === null) return "-";
  const against = `vs gen ${cmp.parent.generation}`;
  if (g.regression) return c.red(`REGRESSION ${against}: ${g.regression.findings.map(describeFinding).join("; ")}`);
  if (cmp.compared.length === 0) return c.dim(`${against}: too few to test (${cmp.skipped[0]?.reason ?? "no metrics tracked"})`);
  return `${against}: no significant regression (${cmp.compared.map((x) => `${x.metric} p=${formatP(x.p)}`).join(", ")})`;
}

function groupTable(report: StatsReport): string {
  const head = [report.by === "day" ? "day (UTC)" : "gen", "n", "median", "p95", "errors", "success", "rating", report.by === "generation" ? "live regression test" : "alerts"];
  const rows = report.groups.map((g) => {
    const m = g.metrics;
    return [
      g.key,
      String(m.interactions),
      ms(m.responseTimeMs.median),
      ms(m.responseTimeMs.p95),
      `${percent(m.errorRate.estimate)} (${m.errorRate.count})`,
      percent(m.taskSuccessRate.estimate),
      m.userSatisfaction.n ? `${m.userSatisfaction.estimate.toFixed(1)} (${m.userSatisfaction.n})` : "-",
      report.by === "generation" ? versus(g) : g.alerts.map((a) => c.yellow(a.metric)).join(" "),
    ];
  });
  return table([head, ...rows]);
}

function render(out: Out, r: StatsReport, sinceText: string | undefined): void {
  const m = r.overall;
  const window = r.window.since === null ? "all recorded" : `since ${when(r.window.since)} UTC${sinceText ? ` (${sinceText})` : ""}`;
  out.say(`${c.bold("live metrics")}: ${m.interactions} completed interaction(s), ${window}`);
  if (m.interactions === 0) return;
  out.say(table(metricLines(m).map(([k, v]) => [`  ${k}`, v!])));
  out.say(r.alerts.length === 0 ? `alerts: ${c.green("none")}` : r.alerts.map((a) => `${c.yellow("alert")} ${a.message}`).join("\n"));
  if (r.trend && r.trend.earlier > 0 && r.trend.later > 0) {
    const fmt = (metric: string, x: number): string => (!Number.isFinite(x) ? "-" : metric.endsWith("_ms") ? ms(x) : metric.endsWith("rate") ? percent(x) : x.toFixed(2));
    const parts = r.trend.points.filter((p) => Number.isFinite(p.change)).map((p) => `${p.metric} ${fmt(p.metric, p.earlier)} -> ${fmt(p.metric, p.later)}`);
    out.say(`trend (${r.trend.earlier} before ${when(r.trend.split)} UTC, ${r.trend.later} after): ${parts.join("; ")}`);
  }
  if (r.by !== null) {
    out.say("");
    out.say(groupTable(r));
  }
}

export async function statsCommand(flags: StatsFlags): Promise<void> {
  const out = output(flags.json === true);
  const now = Date.now();
  const since = flags.since === undefined ? null : parseTimePoint("--since", flags.since, now);
  const root = workspaceFromFlag(flags.workspace);
  const config = await readCommittedConfig(root);
  const { rows, commits } = await readLiveWindow(root, since);
  const report = statsReport(rows, {
    by: flags.by ?? null,
    since,
    now,
    thresholds: liveThresholdsOf(config),
    tracked: config.monitoring.metrics,
    commits,
  });
  render(out, report, flags.since);
  if (out.isJson) out.json(report);
}
