/**
 * Live metrics of the agent as the design names them, computed from recorded interactions:
 * `response_time` (median and p95), `user_satisfaction` (mean explicit rating on 1..5),
 * `task_success_rate`, `error_rate` (rates with Wilson intervals) and `tokens_per_second`; alerts
 * against thresholds; groups by generation or by day; and the trend between the two halves of a
 * window. Pure.
 */
import { Z95, meanInterval, quantileSorted, sortedFinite, wilsonInterval, type Interval } from "../kernel/statistics.js";
import type { MetricRow } from "./types.js";

export const LIVE_METRICS = ["response_time", "user_satisfaction", "task_success_rate", "error_rate", "tokens_per_second"] as const;
export type LiveMetric = (typeof LIVE_METRICS)[number];

/** Alert thresholds (defaults from the design) and the sample size below which nothing is concluded. */
export interface LiveThresholds {
  /** Alert when the p95 response time exceeds this. */
  responseTimeMs: number;
  /** Alert when the error rate exceeds this (0..1). */
  errorRate: number;
  /** Alert when the mean rating (1..5) falls below this. */
  userSatisfaction: number;
  /** Interactions (ratings, for satisfaction) a figure needs before it alerts or is tested. */
  minSamples: number;
}

export const DEFAULT_LIVE_THRESHOLDS: Readonly<LiveThresholds> = Object.freeze({ responseTimeMs: 5000, errorRate: 0.05, userSatisfaction: 3.0, minSamples: 30 });

export interface Distribution {
  n: number;
  /** NaN when n is 0 (null in JSON). */
  median: number;
  p95: number;
}

export interface Rate extends Interval {
  count: number;
  n: number;
}

export interface LiveMetrics {
  /** Completed interactions counted. */
  interactions: number;
  /** Start time of the first and last of them (epoch ms), null when none. */
  from: number | null;
  to: number | null;
  responseTimeMs: Distribution;
  firstTokenMs: Distribution;
  tokensPerSecond: Distribution;
  errorRate: Rate;
  taskSuccessRate: Rate;
  /** Mean explicit rating with a 95% interval; n counts rated interactions. */
  userSatisfaction: Interval & { n: number };
}

export interface LiveAlert {
  metric: LiveMetric;
  message: string;
  value: number;
  threshold: number;
}

/** True when a request ended without an answer (an error, or no answer within the steps). */
export function isError(r: MetricRow): boolean {
  return r.status !== "answered";
}

/**
 * True when the task succeeded: a person's rating decides when there is one (3 or more of 5);
 * otherwise an answer that was not followed by the same question again.
 */
export function isSuccess(r: MetricRow): boolean {
  if (r.rating !== null) return r.rating >= 3;
  return r.status === "answered" && !r.askedAgain;
}

/** Generated tokens per second of model time; null when either is missing. */
export function tokensPerSecond(r: MetricRow): number | null {
  return r.modelMs > 0 && r.tokensOut > 0 ? r.tokensOut / (r.modelMs / 1000) : null;
}

function distribution(values: Iterable<number>): Distribution {
  const sorted = sortedFinite(values);
  return { n: sorted.length, median: quantileSorted(sorted, 0.5), p95: quantileSorted(sorted, 0.95) };
}

function rate(count: number, n: number): Rate {
  return { count, n, ...wilsonInterval(count, n, Z95) };
}

function* pick<T>(rows: readonly MetricRow[], f: (r: MetricRow) => T | null): Generator<T> {
  for (const r of rows) {
    const v = f(r);
    if (v !== null) yield v;
  }
}

/** The live metrics of a set of completed interactions. */
export function liveMetrics(rows: readonly MetricRow[]): LiveMetrics {
  let errors = 0;
  let successes = 0;
  const ratings: number[] = [];
  let from = Infinity;
  let to = -Infinity;
  for (const r of rows) {
    from = Math.min(from, r.startedAt);
    to = Math.max(to, r.startedAt);
    if (isError(r)) errors++;
    if (isSuccess(r)) successes++;
    if (r.rating !== null) ratings.push(r.rating);
  }
  return {
    interactions: rows.length,
    from: rows.length ? from : null,
    to: rows.length ? to : null,
    responseTimeMs: distribution(pick(rows, (r) => r.totalMs)),
    firstTokenMs: distribution(pick(rows, (r) => r.firstTokenMs)),
    tokensPerSecond: distribution(pick(rows, tokensPerSecond)),
    errorRate: rate(errors, rows.length),
    taskSuccessRate: rate(successes, rows.length),
    userSatisfaction: { n: ratings.length, ...meanInterval(ratings) },
  };
}

/** Alerts for the tracked metrics that crossed their threshold, each only with enough samples. */
export function liveAlerts(m: LiveMetrics, thresholds: LiveThresholds, tracked: readonly string[] = LIVE_METRICS): LiveAlert[] {
  const out: LiveAlert[] = [];
  const enough = (n: number) => n >= thresholds.minSamples;
  const t = (metric: LiveMetric) => tracked.includes(metric);
  const rt = m.responseTimeMs;
  if (t("response_time") && enough(rt.n) && rt.p95 > thresholds.responseTimeMs) {
    out.push({ metric: "response_time", value: rt.p95, threshold: thresholds.responseTimeMs, message: `p95 response time ${Math.round(rt.p95)} ms is above ${thresholds.responseTimeMs} ms (${rt.n} interactions)` });
  }
  const er = m.errorRate;
  if (t("error_rate") && enough(er.n) && er.estimate > thresholds.errorRate) {
    out.push({ metric: "error_rate", value: er.estimate, threshold: thresholds.errorRate, message: `error rate ${percent(er.estimate)} (${er.count} of ${er.n}) is above ${percent(thresholds.errorRate)}` });
  }
  const us = m.userSatisfaction;
  if (t("user_satisfaction") && enough(us.n) && us.estimate < thresholds.userSatisfaction) {
    out.push({ metric: "user_satisfaction", value: us.estimate, threshold: thresholds.userSatisfaction, message: `user satisfaction ${us.estimate.toFixed(2)}/5 (${us.n} ratings) is below ${thresholds.userSatisfaction.toFixed(1)}/5` });
  }
  return out;
}

export function percent(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : "-";
}

/** A group of interactions: one generation, or one UTC day. */
export interface MetricGroup {
  key: string;
  generation: number | null;
  /** Commits that served the group (a generation may be served by several: user commits on top of it). */
  commits: string[];
  rows: MetricRow[];
}

/** UTC calendar day of an epoch-ms time, YYYY-MM-DD. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Rows grouped by the generation that served them (ascending; unknown last) or by UTC day (ascending). */
export function groupRows(rows: readonly MetricRow[], by: "generation" | "day"): MetricGroup[] {
  const groups = new Map<string, MetricGroup>();
  for (const r of rows) {
    const key = by === "day" ? utcDay(r.startedAt) : r.generation === null ? "unknown" : String(r.generation);
    let g = groups.get(key);
    if (!g) {
      g = { key, generation: by === "generation" ? r.generation : null, commits: [], rows: [] };
      groups.set(key, g);
    }
    g.rows.push(r);
    if (r.commit !== null && !g.commits.includes(r.commit)) g.commits.push(r.commit);
  }
  const order = (g: MetricGroup): number => (by === "day" ? 0 : (g.generation ?? Number.MAX_SAFE_INTEGER));
  return [...groups.values()].sort((a, b) => order(a) - order(b) || a.key.localeCompare(b.key));
}

/** One metric's value in the earlier and the later half of a window. */
export interface TrendPoint {
  metric: string;
  earlier: number;
  later: number;
  /** later - earlier; NaN when either half has no value. */
  change: number;
}

/** The headline figures in the two halves of [from, to): how the agent moved over the window. */
export function halvesTrend(rows: readonly MetricRow[], from: number, to: number): { split: number; earlier: number; later: number; points: TrendPoint[] } {
  const split = from + (to - from) / 2;
  const a = liveMetrics(rows.filter((r) => r.startedAt < split));
  const b = liveMetrics(rows.filter((r) => r.startedAt >= split));
  const point = (metric: string, f: (m: LiveMetrics) => number): TrendPoint => ({ metric, earlier: f(a), later: f(b), change: f(b) - f(a) });
  return {
    split,
    earlier: a.interactions,
    later: b.interactions,
    points: [
      point("response_time_median_ms", (m) => m.responseTimeMs.median),
      point("response_time_p95_ms", (m) => m.responseTimeMs.p95),
      point("error_rate", (m) => m.errorRate.estimate),
      point("task_success_rate", (m) => m.taskSuccessRate.estimate),
      point("user_satisfaction", (m) => m.userSatisfaction.estimate),
      point("tokens_per_second_median", (m) => m.tokensPerSecond.median),
    ],
  };
}
