/**
 * What `evolve stats` reports, as data: the live metrics of a window, its alerts and trend, and the
 * same per generation (with each generation tested against the latest earlier one that served
 * requests) or per day. Pure, so the command line, a server and an HTML report show the same figures.
 */
import type { MetricColumns } from "./columns.js";
import { groupRows, halvesTrend, liveAlerts, liveMetrics, type LiveAlert, type LiveMetrics, type LiveThresholds, type TrendPoint } from "./metrics.js";
import { compareLive, sampleOf, type LiveComparison, type LiveRegressionEvidence, type LiveSample } from "./regression.js";

export interface StatsOptions {
  by: "generation" | "day" | null;
  /** Start of the window (epoch ms); null for everything recorded. */
  since: number | null;
  now: number;
  thresholds: LiveThresholds;
  /** The metrics monitoring.metrics tracks: alerts and regression tests are made for these only. */
  tracked: readonly string[];
  /** Family-wise significance level of the regression tests (default 0.05). */
  alpha?: number;
  /** The commits that served each generation (InteractionStore.servedBy). */
  commits?: ReadonlyMap<number, readonly string[]>;
}

export interface StatsGroup {
  key: string;
  generation: number | null;
  commits: string[];
  metrics: LiveMetrics;
  alerts: LiveAlert[];
  /** By generation: the test against the latest earlier generation with interactions. */
  comparison: LiveComparison | null;
  /** The comparison when it found a significant regression. */
  regression: LiveRegressionEvidence | null;
}

export interface StatsReport {
  window: { since: number | null; until: number };
  overall: LiveMetrics;
  alerts: LiveAlert[];
  /** Earlier half of the window against the later half; null when there is no window to halve. */
  trend: { split: number; earlier: number; later: number; points: TrendPoint[] } | null;
  by: "generation" | "day" | null;
  groups: StatsGroup[];
}

export function statsReport(rows: MetricColumns, o: StatsOptions): StatsReport {
  const overall = liveMetrics(rows);
  const from = o.since ?? overall.from;
  const trend = from !== null && rows.n > 0 && o.now > from ? halvesTrend(rows, from, o.now) : null;
  const groups: StatsGroup[] = [];
  if (o.by !== null) {
    // Each generation's sample serves twice: as the child of one test and the parent of the next.
    let previous: LiveSample | null = null;
    for (const g of groupRows(rows, o.by)) {
      let comparison: LiveComparison | null = null;
      const sample = o.by === "generation" && g.generation !== null ? sampleOf(g.rows, g.generation) : null;
      if (sample !== null && previous !== null) {
        comparison = compareLive(previous, sample, {
          minSamples: o.thresholds.minSamples,
          metrics: o.tracked,
          ...(o.alpha !== undefined ? { alpha: o.alpha } : {}),
        });
      }
      const findings = comparison?.compared.filter((c) => c.significant) ?? [];
      const metrics = liveMetrics(g.rows);
      groups.push({
        key: g.key,
        generation: g.generation,
        commits: g.generation === null ? [] : [...(o.commits?.get(g.generation) ?? [])],
        metrics,
        alerts: liveAlerts(metrics, o.thresholds, o.tracked),
        comparison,
        regression: comparison !== null && findings.length > 0 ? { ...comparison, findings } : null,
      });
      if (sample !== null) previous = sample;
    }
  }
  return { window: { since: o.since, until: o.now }, overall, alerts: liveAlerts(overall, o.thresholds, o.tracked), trend, by: o.by, groups };
}
