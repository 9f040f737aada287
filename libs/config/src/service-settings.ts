import { ConfigError } from './config-error';
import type { EnvReader } from './env-reader';

/** The rollout controller's settings (`ROLLOUT_*`). */
export interface RolloutControllerSettings {
  /** Consumer group that turns metrics snapshots into gate evaluations (one member per agent partition). */
  consumerGroup: string;
  /** How often in-progress rollouts get a scheduled Tick (advances when min duration passes without a new window). */
  tickIntervalMs: number;
  /** Refuse to start rollouts of versions the registry has not published. */
  requireRegisteredVersions: boolean;
  /** Environment promotion: a version must have completed a rollout there before it may start here. */
  promoteFrom: string | undefined;
  /**
   * How long after a routing change is decided its new weights take effect (`ROLLOUT_ROUTING_PROPAGATION_ALLOWANCE_MS`,
   * default 500 ms): the most the table may take to reach every SDK instance for them all to place a session alike.
   */
  routingPropagationAllowanceMs: number;
  /** The shadow stage follows the shadow comparator's reports: a failing one rolls the candidate back. */
  shadowReportGate: boolean;
}

/** The metrics aggregator's settings (`METRICS_*`). */
export interface MetricsAggregatorSettings {
  consumerGroup: string;
  windowMs: number;
  allowedLatenessMs: number;
  /** A partition without events for this long stops holding windows open (its clock follows wall time). */
  idleAfterMs: number;
  /** How often closed windows are looked for and emitted. */
  emitIntervalMs: number;
  maxBatchSize: number;
  /**
   * Longest time a partition's applied records stay unsaved (what a crash makes Kafka redeliver); a caught-up
   * partition is also saved as soon as its watermark passes a window end.
   */
  checkpointIntervalMs: number;
  /** Rolling views emitted after each window, as spans in ms (default 1, 5 and 15 minutes). */
  rollingViewsMs: number[];
  /**
   * Largest accepted lead of a telemetry event's occurredAt over the aggregator's clock
   * (`IRIS_AGGREGATOR_MAX_CLOCK_SKEW_MS`, default 5 min); an event further ahead is dead-lettered and counted.
   */
  maxClockSkewMs: number;
}

export function readRolloutControllerSettings(read: EnvReader): RolloutControllerSettings {
  return {
    consumerGroup: read.string('ROLLOUT_CONSUMER_GROUP', 'iris-rollout-controller'),
    tickIntervalMs: read.integer('ROLLOUT_TICK_INTERVAL_MS', 5_000, { min: 50, max: 3_600_000 }),
    requireRegisteredVersions: read.boolean('ROLLOUT_REQUIRE_REGISTERED', true),
    promoteFrom: read.optionalString('ROLLOUT_PROMOTE_FROM'),
    routingPropagationAllowanceMs: read.integer('ROLLOUT_ROUTING_PROPAGATION_ALLOWANCE_MS', 500, { min: 0, max: 60_000 }),
    shadowReportGate: read.boolean('ROLLOUT_SHADOW_REPORT_GATE', true),
  };
}

export function readMetricsAggregatorSettings(read: EnvReader): MetricsAggregatorSettings {
  const windowMs = read.integer('METRICS_WINDOW_MS', 10_000, { min: 100, max: 3_600_000 });
  const allowedLatenessMs = read.integer('METRICS_ALLOWED_LATENESS_MS', 5_000, { min: 0, max: 3_600_000 });
  return {
    consumerGroup: read.string('METRICS_CONSUMER_GROUP', 'iris-metrics-aggregator'),
    windowMs,
    allowedLatenessMs,
    idleAfterMs: read.integer('METRICS_IDLE_PARTITION_MS', Math.max(2_000, allowedLatenessMs), { min: 100, max: 3_600_000 }),
    emitIntervalMs: read.integer('METRICS_EMIT_INTERVAL_MS', 100, { min: 10, max: 60_000 }),
    // Small handler batches: fewer decoded events alive at once (they die young), and checkpoints no longer follow batches.
    maxBatchSize: read.integer('METRICS_MAX_BATCH', 500, { min: 1, max: 100_000 }),
    checkpointIntervalMs: read.integer('METRICS_CHECKPOINT_INTERVAL_MS', 1_000, { min: 10, max: 600_000 }),
    rollingViewsMs: parseRollingViews(read.string('METRICS_ROLLING_VIEWS', '1m,5m,15m'), windowMs),
    maxClockSkewMs: read.integer('IRIS_AGGREGATOR_MAX_CLOCK_SKEW_MS', 300_000, { min: 0, max: 31 * 24 * 3_600_000 }),
  };
}

/** "1m,5m,15m" → spans in ms; each a whole number of windows. `none` → none. */
function parseRollingViews(raw: string, windowMs: number): number[] {
  if (raw === 'none') return [];
  return raw.split(',').map((item) => {
    const match = /^(\d+)(s|m|h)$/.exec(item.trim());
    if (!match) throw new ConfigError('METRICS_ROLLING_VIEWS', `entry "${item}" must look like 30s, 5m or 1h`);
    const spanMs = Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
    if (spanMs % windowMs !== 0 || spanMs <= windowMs) throw new ConfigError('METRICS_ROLLING_VIEWS', `entry "${item}" must be a multiple of the window (${windowMs} ms) larger than it`);
    return spanMs;
  });
}

/** The kill switch's settings (`KILL_SWITCH_*`). */
export interface KillSwitchSettings {
  /** Refuse kills naming an agent or version the registry has not published (404). */
  requireRegisteredVersions: boolean;
  /** Longest wait between two expiry checks (a due kill is expired at its instant, or within this when timers drift). */
  expiryCheckMs: number;
  /** How long start-up reads the kill-switch topic to see whether it holds the log's latest kill set (else re-published). */
  topicCheckTimeoutMs: number;
}

export function readKillSwitchSettings(read: EnvReader): KillSwitchSettings {
  return {
    requireRegisteredVersions: read.boolean('KILL_SWITCH_REQUIRE_REGISTERED', true),
    expiryCheckMs: read.integer('KILL_SWITCH_EXPIRY_CHECK_MS', 1_000, { min: 10, max: 3_600_000 }),
    topicCheckTimeoutMs: read.integer('KILL_SWITCH_TOPIC_CHECK_TIMEOUT_MS', 15_000, { min: 100, max: 600_000 }),
  };
}
/** The shadow comparator's gate limits (`SHADOW_GATE_*`): what a candidate's shadow report must stay within. */
export interface ShadowGateSettings {
  minPairs: number;
  alpha: number;
  toleratedExcess: number;
  maxCostIncreasePct: number;
  maxLatencyIncreasePct: number;
  minLatencyIncreaseMs: number;
  maxShadowFailureRate: number;
  failOnNewTools: boolean;
  failOnRemovedTools: boolean;
}

/** The shadow comparator's settings (`SHADOW_*`). */
export interface ShadowComparatorSettings {
  /** Its own consumer group on the telemetry topic. */
  consumerGroup: string;
  /** Reports are per candidate and window of this length (by the primary's event time). */
  windowMs: number;
  /** How long (event time) a primary waits for its shadow runs, and a shadow run for its primary; then a shadow failure. */
  pairTimeoutMs: number;
  /** A caught-up partition without records for this long moves its clock with wall time (pending pairs time out, windows close). */
  idleAfterMs: number;
  /** Longest time a partition's applied records stay unsaved. */
  checkpointIntervalMs: number;
  maxBatchSize: number;
  /** How often closed windows are looked for and reported. */
  reportIntervalMs: number;
  /** Stored comparisons (both sides of each pair) and window tallies older than this are deleted. */
  retentionMs: number;
  /** Output texts longer than this are cut before they are stored. */
  maxStoredOutputChars: number;
  /** Which compared pairs are stored with both sides: `divergent` (any difference, and shadow failures) or `all`. */
  storeComparisons: 'divergent' | 'all';
  gate: ShadowGateSettings;
}

export function readShadowComparatorSettings(read: EnvReader): ShadowComparatorSettings {
  return {
    consumerGroup: read.string('SHADOW_CONSUMER_GROUP', 'iris-shadow-comparator'),
    windowMs: read.integer('SHADOW_WINDOW_MS', 60_000, { min: 100, max: 24 * 3_600_000 }),
    pairTimeoutMs: read.integer('SHADOW_PAIR_TIMEOUT_MS', 60_000, { min: 10, max: 3_600_000 }),
    idleAfterMs: read.integer('SHADOW_IDLE_PARTITION_MS', 2_000, { min: 100, max: 3_600_000 }),
    checkpointIntervalMs: read.integer('SHADOW_CHECKPOINT_INTERVAL_MS', 1_000, { min: 10, max: 600_000 }),
    maxBatchSize: read.integer('SHADOW_MAX_BATCH', 500, { min: 1, max: 100_000 }),
    reportIntervalMs: read.integer('SHADOW_REPORT_INTERVAL_MS', 1_000, { min: 10, max: 600_000 }),
    retentionMs: read.integer('SHADOW_RETENTION_MS', 7 * 24 * 3_600_000, { min: 60_000, max: 366 * 24 * 3_600_000 }),
    maxStoredOutputChars: read.integer('SHADOW_MAX_STORED_OUTPUT_CHARS', 4_096, { min: 0, max: 1_000_000 }),
    storeComparisons: read.oneOf('SHADOW_STORE_COMPARISONS', ['divergent', 'all'] as const, 'divergent'),
    gate: {
      minPairs: read.integer('SHADOW_GATE_MIN_PAIRS', 30, { min: 1, max: 1_000_000 }),
      alpha: readNumber(read, 'SHADOW_GATE_ALPHA', 0.01, 1e-9, 0.5),
      toleratedExcess: readNumber(read, 'SHADOW_GATE_TOLERATED_EXCESS', 0.02, 0, 1),
      maxCostIncreasePct: readNumber(read, 'SHADOW_GATE_MAX_COST_INCREASE_PCT', 20, 0, 10_000),
      maxLatencyIncreasePct: readNumber(read, 'SHADOW_GATE_MAX_LATENCY_INCREASE_PCT', 50, 0, 10_000),
      minLatencyIncreaseMs: readNumber(read, 'SHADOW_GATE_MIN_LATENCY_INCREASE_MS', 100, 0, 3_600_000),
      maxShadowFailureRate: readNumber(read, 'SHADOW_GATE_MAX_FAILURE_RATE', 0.05, 0, 1),
      failOnNewTools: read.boolean('SHADOW_GATE_FAIL_ON_NEW_TOOLS', true),
      failOnRemovedTools: read.boolean('SHADOW_GATE_FAIL_ON_REMOVED_TOOLS', true),
    },
  };
}

function readNumber(read: EnvReader, name: string, fallback: number, min: number, max: number): number {
  const raw = read.optionalString(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new ConfigError(name, `must be a number, got "${raw}"`);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}
