/**
 * The performance monitor: a metric series per generation, trends, and alerts when a tracked metric
 * regresses past its threshold. Pure data in, data out; the controller decides what to print.
 */

/** Metrics recorded for one measured tree (one generation). */
export interface GenerationMetrics {
  generation: number;
  score: number;
  holdout: number | null;
  passed: number;
  failed: number;
  /** Wall time of the sandbox evaluation of this tree, ms. */
  evalMs: number;
}

export interface AlertThresholds {
  /** Alert when the train score falls by more than this from the best seen. */
  scoreDrop: number;
  /** Alert when the holdout score falls by more than this from the best seen. */
  holdoutDrop: number;
  /** Alert when evaluation time grows past this ratio of the first generation's. */
  evalMsRise: number;
}

export interface Alert {
  generation: number;
  metric: string;
  message: string;
}

export interface Trend {
  metric: string;
  first: number;
  last: number;
  best: number;
  /** Mean change per generation (least-squares slope); 0 with fewer than two points. */
  slope: number;
}

/** Alerts raised by the newest point of `history`, comparing it with everything before it. */
export function alertsFor(history: readonly GenerationMetrics[], thresholds: AlertThresholds, tracked: readonly string[]): Alert[] {
  const last = history.at(-1);
  if (last === undefined || history.length < 2) return [];
  const earlier = history.slice(0, -1);
  const alerts: Alert[] = [];
  const track = (m: string) => tracked.includes(m);

  const bestScore = Math.max(...earlier.map((h) => h.score));
  if (track("score") && bestScore - last.score > thresholds.scoreDrop) {
    alerts.push({ generation: last.generation, metric: "score", message: `train score ${last.score} is ${round(bestScore - last.score)} below the best (${bestScore})` });
  }
  const holdouts = earlier.map((h) => h.holdout).filter((h): h is number => h !== null);
  if (track("holdout") && last.holdout !== null && holdouts.length > 0) {
    const bestHoldout = Math.max(...holdouts);
    if (bestHoldout - last.holdout > thresholds.holdoutDrop) {
      alerts.push({ generation: last.generation, metric: "holdout", message: `holdout score ${last.holdout} is ${round(bestHoldout - last.holdout)} below the best (${bestHoldout})` });
    }
  }
  const firstMs = earlier[0]!.evalMs;
  if (track("evalMs") && firstMs > 0 && last.evalMs / firstMs > thresholds.evalMsRise) {
    alerts.push({ generation: last.generation, metric: "evalMs", message: `evaluation took ${Math.round(last.evalMs)} ms, ${round(last.evalMs / firstMs)}x generation ${earlier[0]!.generation}'s` });
  }
  const passedBefore = earlier.at(-1)!.passed;
  if (track("passed") && last.passed < passedBefore) {
    alerts.push({ generation: last.generation, metric: "passed", message: `${passedBefore - last.passed} fewer passing cases than the previous generation` });
  }
  return alerts;
}

/** Trend of each tracked numeric metric over the history. */
export function trends(history: readonly GenerationMetrics[], tracked: readonly string[]): Trend[] {
  const out: Trend[] = [];
  for (const metric of tracked) {
    const points = history
      .map((h) => ({ x: h.generation, y: (h as unknown as Record<string, unknown>)[metric] }))
      .filter((p): p is { x: number; y: number } => typeof p.y === "number");
    if (points.length === 0) continue;
    const ys = points.map((p) => p.y);
    out.push({ metric, first: ys[0]!, last: ys.at(-1)!, best: metric === "evalMs" ? Math.min(...ys) : Math.max(...ys), slope: slope(points) });
  }
  return out;
}

function slope(points: ReadonlyArray<{ x: number; y: number }>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : round(num / den);
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
