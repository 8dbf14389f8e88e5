/**
 * Live regression detection: is a generation's live behaviour significantly worse than its parent's?
 * Rates (errors, task success) by the two-proportion z-test, response times and ratings by the
 * Mann-Whitney U test, each one-sided in the "worse" direction, each only when both generations have
 * at least `minSamples` observations, at a Bonferroni-corrected level (alpha divided by the number of
 * tests made) so that watching four metrics does not quadruple false alarms. Pure: reverting the
 * generation is the caller's decision, with the evidence returned here.
 */
import { mannWhitneyU, twoProportionZTest } from "../kernel/statistics.js";
import { quantileSorted, sortedCopy } from "../kernel/statistics.js";
import { isErrorAt, isSuccessAt, sortedValues, type MetricColumns } from "./columns.js";
import type { LiveMetric } from "./metrics.js";

/** The observations of one generation the tests need. */
export interface LiveSample {
  generation: number | null;
  /** Completed interactions. */
  n: number;
  errors: number;
  successes: number;
  latenciesMs: ArrayLike<number>;
  /** Explicit ratings, 1..5. */
  ratings: ArrayLike<number>;
}

export interface RegressionThresholds {
  /** Family-wise significance level (default 0.05). */
  alpha?: number;
  /** Observations each side needs before a metric is tested. */
  minSamples: number;
  /** Metrics to test (default: all four that can regress). */
  metrics?: readonly string[];
}

export type RegressionTest = "two-proportion-z" | "mann-whitney-u";

/** One metric compared: the counts and figures on each side, and the test's result. */
export interface MetricComparison {
  metric: LiveMetric;
  test: RegressionTest;
  parent: { n: number; value: number; count?: number };
  child: { n: number; value: number; count?: number };
  /** z statistic (z-test), or U of the child (Mann-Whitney). */
  statistic: number;
  z: number;
  /** One-sided p-value in the "child is worse" direction. */
  p: number;
  /** The corrected level p is compared with. */
  level: number;
  exact: boolean;
  significant: boolean;
}

export interface LiveComparison {
  parent: { generation: number | null; n: number };
  child: { generation: number | null; n: number };
  alpha: number;
  compared: MetricComparison[];
  /** Metrics not tested, and why (too few observations). */
  skipped: { metric: LiveMetric; reason: string }[];
}

/** Evidence of a live regression: a comparison with at least one significant finding. */
export interface LiveRegressionEvidence extends LiveComparison {
  findings: MetricComparison[];
}

/** Metrics the comparison can test, in order. */
export const REGRESSION_METRICS = ["error_rate", "task_success_rate", "response_time", "user_satisfaction"] as const satisfies readonly LiveMetric[];

/** A generation's observations from its metric rows. */
export function sampleOf(c: MetricColumns, generation: number | null = c.n > 0 && !Number.isNaN(c.generation[0]!) ? c.generation[0]! : null): LiveSample {
  let errors = 0;
  let successes = 0;
  for (let i = 0; i < c.n; i++) {
    if (isErrorAt(c, i)) errors++;
    if (isSuccessAt(c, i)) successes++;
  }
  // Sorted once here: the median and both rank tests then take them as they are.
  return { generation, n: c.n, errors, successes, latenciesMs: sortedValues(c, (i) => c.totalMs[i]!), ratings: sortedValues(c, (i) => c.rating[i]!) };
}

const median = (xs: ArrayLike<number>): number => quantileSorted(sortedCopy(xs), 0.5);
const avg = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : Number.NaN;
};

/** Every test the thresholds allow, significant or not. */
export function compareLive(parent: LiveSample, child: LiveSample, thresholds: RegressionThresholds): LiveComparison {
  const alpha = thresholds.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new Error(`compareLive: alpha must be within (0, 1), got ${alpha}`);
  const wanted = REGRESSION_METRICS.filter((m) => (thresholds.metrics ?? REGRESSION_METRICS).includes(m));
  const sizes: Record<(typeof REGRESSION_METRICS)[number], [number, number]> = {
    error_rate: [parent.n, child.n],
    task_success_rate: [parent.n, child.n],
    response_time: [parent.latenciesMs.length, child.latenciesMs.length],
    user_satisfaction: [parent.ratings.length, child.ratings.length],
  };
  const skipped: LiveComparison["skipped"] = [];
  const testable = wanted.filter((m) => {
    const [a, b] = sizes[m];
    if (a >= thresholds.minSamples && b >= thresholds.minSamples && a > 0 && b > 0) return true;
    skipped.push({ metric: m, reason: `${a} vs ${b} observations; each side needs ${thresholds.minSamples}` });
    return false;
  });
  const level = alpha / Math.max(1, testable.length);
  const compared = testable.map((metric): MetricComparison => {
    const base = { metric, level };
    const done = (c: Omit<MetricComparison, "metric" | "level" | "significant">): MetricComparison => ({ ...base, ...c, significant: c.p < level });
    switch (metric) {
      case "error_rate": {
        const t = twoProportionZTest(parent.errors, parent.n, child.errors, child.n);
        return done({ test: "two-proportion-z", parent: { n: parent.n, count: parent.errors, value: parent.errors / parent.n }, child: { n: child.n, count: child.errors, value: child.errors / child.n }, statistic: t.z, z: t.z, p: t.pGreater, exact: false });
      }
      case "task_success_rate": {
        const t = twoProportionZTest(parent.successes, parent.n, child.successes, child.n);
        return done({ test: "two-proportion-z", parent: { n: parent.n, count: parent.successes, value: parent.successes / parent.n }, child: { n: child.n, count: child.successes, value: child.successes / child.n }, statistic: t.z, z: t.z, p: t.pLess, exact: false });
      }
      case "response_time": {
        const t = mannWhitneyU(parent.latenciesMs, child.latenciesMs);
        return done({ test: "mann-whitney-u", parent: { n: t.n1, value: median(parent.latenciesMs) }, child: { n: t.n2, value: median(child.latenciesMs) }, statistic: t.statistic, z: t.z, p: t.pGreater, exact: t.exact });
      }
      case "user_satisfaction": {
        const t = mannWhitneyU(parent.ratings, child.ratings);
        return done({ test: "mann-whitney-u", parent: { n: t.n1, value: avg(parent.ratings) }, child: { n: t.n2, value: avg(child.ratings) }, statistic: t.statistic, z: t.z, p: t.pLess, exact: t.exact });
      }
    }
  });
  return { parent: { generation: parent.generation, n: parent.n }, child: { generation: child.generation, n: child.n }, alpha, compared, skipped };
}

/**
 * The evidence that `child` regressed against `parent` on some live metric, or null when no metric
 * is significantly worse (or none had enough observations to say).
 */
export function liveRegression(parent: LiveSample, child: LiveSample, thresholds: RegressionThresholds): LiveRegressionEvidence | null {
  const c = compareLive(parent, child, thresholds);
  const findings = c.compared.filter((x) => x.significant);
  return findings.length === 0 ? null : { ...c, findings };
}

/** One line per finding, e.g. for a revert's trailers: `error_rate 2/100 -> 12/100 (two-proportion-z, p=0.0028)`. */
export function describeFinding(f: MetricComparison): string {
  const side = (s: MetricComparison["parent"]): string =>
    s.count !== undefined ? `${s.count}/${s.n}` : f.metric === "response_time" ? `median ${Math.round(s.value)} ms (n=${s.n})` : `mean ${s.value.toFixed(2)} (n=${s.n})`;
  return `${f.metric} ${side(f.parent)} -> ${side(f.child)} (${f.test}${f.exact ? " exact" : ""}, p=${formatP(f.p)} < ${formatP(f.level)})`;
}

export function formatP(p: number): string {
  return p < 0.0001 ? p.toExponential(1) : p.toFixed(4);
}
