/**
 * Live metrics of the agent as the design names them, computed from recorded interactions:
 * `response_time` (median and p95), `user_satisfaction` (mean explicit rating on 1..5),
 * `task_success_rate`, `error_rate` (rates with Wilson intervals) and `tokens_per_second`; alerts
 * against thresholds; groups by generation or by day; and the trend between the two halves of a
 * window. Pure.
 */
import { Z95, meanInterval, quantilesInPlace, wilsonInterval, type Interval } from "../kernel/statistics.js";
import { filterRows, isErrorAt, isSuccessAt, knownValues, pickRows, type MetricColumns } from "./columns.js";

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

/** Median and p95 by selection: no sort, since nothing else needs the order. */
function distribution(values: Float64Array): Distribution {
  const [median, p95] = quantilesInPlace(values, [0.5, 0.95]);
  return { n: values.length, median: median!, p95: p95! };
}

function rate(count: number, n: number): Rate {
  return { count, n, ...wilsonInterval(count, n, Z95) };
}

/** The live metrics of a set of completed interactions. */
export function liveMetrics(c: MetricColumns): LiveMetrics {
  let errors = 0;
  let successes = 0;
  let from = Infinity;
  let to = -Infinity;
  for (let i = 0; i < c.n; i++) {
    from = Math.min(from, c.startedAt[i]!);
    to = Math.max(to, c.startedAt[i]!);
    if (isErrorAt(c, i)) errors++;
    if (isSuccessAt(c, i)) successes++;
  }
  const ratings = knownValues(c, (i) => c.rating[i]!);
  return {
    interactions: c.n,
    from: c.n ? from : null,
    to: c.n ? to : null,
    responseTimeMs: distribution(knownValues(c, (i) => c.totalMs[i]!)),
    firstTokenMs: distribution(knownValues(c, (i) => c.firstTokenMs[i]!)),
    tokensPerSecond: distribution(knownValues(c, (i) => c.tokensPerSecond[i]!)),
    errorRate: rate(errors, c.n),
    taskSuccessRate: rate(successes, c.n),
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
  rows: MetricColumns;
}

/** UTC calendar day of an epoch-ms time, YYYY-MM-DD. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Rows grouped by the generation that served them (ascending; unknown last) or by UTC day (ascending). */
export function groupRows(c: MetricColumns, by: "generation" | "day"): MetricGroup[] {
  const members = new Map<string, { generation: number | null; idx: number[] }>();
  let lastDay = { start: Number.NaN, end: Number.NaN, key: "" };
  for (let i = 0; i < c.n; i++) {
    let key: string;
    if (by === "day") {
      const t = c.startedAt[i]!;
      // Rows come mostly in time order: the day's bounds save a Date per row.
      if (!(t >= lastDay.start && t < lastDay.end)) {
        const start = Math.floor(t / 86_400_000) * 86_400_000;
        lastDay = { start, end: start + 86_400_000, key: utcDay(t) };
      }
      key = lastDay.key;
    } else key = Number.isNaN(c.generation[i]!) ? "unknown" : String(c.generation[i]);
    let m = members.get(key);
    if (!m) {
      m = { generation: by === "generation" && key !== "unknown" ? c.generation[i]! : null, idx: [] };
      members.set(key, m);
    }
    m.idx.push(i);
  }
  const order = (g: MetricGroup): number => (by === "day" ? 0 : (g.generation ?? Number.MAX_SAFE_INTEGER));
  return [...members.entries()]
    .map(([key, m]) => ({ key, generation: m.generation, rows: pickRows(c, m.idx) }))
    .sort((a, b) => order(a) - order(b) || a.key.localeCompare(b.key));
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
export function halvesTrend(c: MetricColumns, from: number, to: number): { split: number; earlier: number; later: number; points: TrendPoint[] } {
  const split = from + (to - from) / 2;
  const a = liveMetrics(filterRows(c, (i) => c.startedAt[i]! < split));
  const b = liveMetrics(filterRows(c, (i) => c.startedAt[i]! >= split));
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
