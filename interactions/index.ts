/** Learning from use: the interaction store, feedback, live metrics and live regression statistics. */
export { openInteractionStore, type InteractionStore, type ListQuery, type PreviousInteraction, type PurgeResult, type StoreOptions } from "./store.js";
export { SCHEMA_VERSION, MIGRATIONS, type Migration } from "./schema.js";
export { LIMITS, cap } from "./limits.js";
export {
  explicitFeedback,
  parseChatFeedback,
  implicitSignals,
  askedAgain,
  requestSimilarity,
  ASK_AGAIN_WINDOW_MS,
  ASK_AGAIN_SIMILARITY,
  GOOD_RATING,
  BAD_RATING,
  type ExplicitFeedback,
} from "./feedback.js";
export {
  liveMetrics,
  liveAlerts,
  groupRows,
  halvesTrend,
  utcDay,
  percent,
  LIVE_METRICS,
  DEFAULT_LIVE_THRESHOLDS,
  type LiveMetric,
  type LiveMetrics,
  type LiveAlert,
  type LiveThresholds,
  type MetricGroup,
  type Distribution,
  type Rate,
  type TrendPoint,
} from "./metrics.js";
export {
  liveRegression,
  compareLive,
  sampleOf,
  describeFinding,
  formatP,
  REGRESSION_METRICS,
  type LiveSample,
  type LiveComparison,
  type LiveRegressionEvidence,
  type MetricComparison,
  type RegressionThresholds,
  type RegressionTest,
} from "./regression.js";
export { parseDuration, parseDate, parseTimePoint } from "./time.js";
export * from "./types.js";
export { toColumns, pickRows, filterRows, isErrorAt, isSuccessAt, type MetricColumns } from "./columns.js";
export { statsReport, type StatsOptions, type StatsReport, type StatsGroup } from "./report.js";
export { clusterFailures, clusterKey, describeCluster, EXAMPLES_PER_CLUSTER, EXAMPLE_CHARS, type FailureCluster, type ClusterExample, type ClusterTarget } from "./clusters.js";
