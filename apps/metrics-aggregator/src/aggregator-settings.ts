import { EnvReader } from '@iris/config';

/** The aggregator's own settings (read once at start-up; errors name the variable). */
export interface AggregatorSettings {
  consumerGroup: string;
  windowMs: number;
  allowedLatenessMs: number;
  /** A partition without events for this long stops holding windows open (its clock follows wall time). */
  idleAfterMs: number;
  /** How often closed windows are looked for and emitted. */
  emitIntervalMs: number;
  maxBatchSize: number;
}

export function loadAggregatorSettings(env: NodeJS.ProcessEnv = process.env): AggregatorSettings {
  const read = new EnvReader(env);
  const windowMs = read.integer('METRICS_WINDOW_MS', 10_000, { min: 100, max: 3_600_000 });
  const allowedLatenessMs = read.integer('METRICS_ALLOWED_LATENESS_MS', 5_000, { min: 0, max: 3_600_000 });
  return {
    consumerGroup: read.string('METRICS_CONSUMER_GROUP', 'iris-metrics-aggregator'),
    windowMs,
    allowedLatenessMs,
    idleAfterMs: read.integer('METRICS_IDLE_PARTITION_MS', Math.max(2_000, allowedLatenessMs), { min: 100, max: 3_600_000 }),
    emitIntervalMs: read.integer('METRICS_EMIT_INTERVAL_MS', 100, { min: 10, max: 60_000 }),
    maxBatchSize: read.integer('METRICS_MAX_BATCH', 5_000, { min: 1, max: 100_000 }),
  };
}
