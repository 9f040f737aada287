/** Pure, deterministic aggregation core of the metrics-aggregator (no I/O, no clock). */
export { AggregationError, type AggregationErrorReason } from './errors';
export { ExactSum, type ExactSumJSON } from './exact-sum';
export { LATENCY_RELATIVE_ERROR, LatencyHistogram, type LatencyHistogramJSON } from './latency-histogram';
export { compareKeys, tenantKeyId, versionKeyId, type Role, type TenantKey, type VersionKey } from './keys';
export {
  MetricsAccumulator,
  feedbackScore,
  type MetricsAccumulatorJSON,
  type RequestCompletedData,
  type ScoreStatsJSON,
  type UserFeedbackData,
} from './metrics-accumulator';
export { KeyedAccumulators, type KeyedAccumulatorsJSON, type KeyedFigures } from './keyed-accumulators';
export {
  MAX_FIGURE_NAME_LENGTH,
  figuresOf,
  flattenFigures,
  type LatencyFigures,
  type ScoreFigures,
  type VersionFigures,
} from './version-figures';
export {
  AGGREGATOR_STATE_FORMAT,
  DEFAULT_AGGREGATOR_OPTIONS,
  WindowedAggregator,
  isTelemetryEvent,
  type AggregatorState,
  type AggregatorStats,
  type ApplyOutcome,
  type ApplyResult,
  type LateEvent,
  type ResolvedAggregatorOptions,
  type RollingView,
  type RollingViewOptions,
  type TelemetryEvent,
  type WindowedAggregatorOptions,
} from './windowed-aggregator';
export { closedWindowOf, mergeClosedWindows, type ClosedWindow } from './closed-window';
export { metricsSnapshotPayloads, type MetricsSnapshotPayload, type SnapshotSpan } from './metrics-snapshot';
