import type { ConsumerHealth } from '@iris/messaging';

/** Records a partition went on without: between its checkpoint and where its log now starts (retention removed them). */
export interface SkippedRecords {
  partition: number;
  /** First offset skipped (the checkpoint's). */
  fromOffset: string;
  /** First offset after the gap (the batch that was applied). */
  toOffset: string;
  atMs: number;
}

/** How long readiness reports records skipped for good (the windows they fell in are incomplete). */
export const SKIPPED_RECORDS_READINESS_MS = 5 * 60_000;

/** The aggregator's own health figures, exposed in Prometheus text format at /metrics. */
export class AggregatorMetrics {
  eventsApplied = 0;
  duplicates = 0;
  redeliveriesSkipped = 0;
  lateEvents = 0;
  /** Events dead-lettered because their occurredAt was beyond the maximum clock skew ahead of the wall clock. */
  futureDated = 0;
  deadLettered = 0;
  snapshotsEmitted = 0;
  checkpoints = 0;
  /** Records skipped for good (see SkippedRecords), and the latest such gap. */
  recordsSkipped = 0;
  lastSkip?: SkippedRecords;
  /** Per partition: event time of the newest event seen minus wall time when it was processed (ms). */
  readonly partitionDelayMs = new Map<number, number>();
  readonly partitionWatermarkMs = new Map<number, number>();
  /** Per partition: records behind the partition's end as of the last fetch (consumer lag). */
  readonly partitionOffsetLag = new Map<number, number>();
  skipped(gap: SkippedRecords): void {
    this.recordsSkipped += Number(BigInt(gap.toOffset) - BigInt(gap.fromOffset));
    this.lastSkip = gap;
  }

  /**
   * Readiness check `telemetry`: throws for SKIPPED_RECORDS_READINESS_MS after records were skipped for good, naming
   * them (the figures of the windows they fell in are short; iris_aggregator_records_skipped_total keeps the count).
   */
  assertNothingSkippedRecently(nowMs = Date.now()): void {
    const gap = this.lastSkip;
    if (!gap || nowMs - gap.atMs >= SKIPPED_RECORDS_READINESS_MS) return;
    throw new Error(
      `telemetry partition ${gap.partition}: records ${gap.fromOffset}..${BigInt(gap.toOffset) - 1n} were gone from the log (retention) before they were counted, ${nowMs - gap.atMs} ms ago; ${this.recordsSkipped} record(s) skipped in all`,
    );
  }

  /** The bus's consumer health (outages waited out); set by the module. */
  consumerHealth?: ConsumerHealth;

  render(): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, value: number) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${value}`);
    counter('iris_aggregator_events_applied_total', 'Telemetry events counted in a window.', this.eventsApplied);
    counter('iris_aggregator_duplicate_events_total', 'Events ignored because their eventId was already counted.', this.duplicates);
    counter('iris_aggregator_redeliveries_skipped_total', 'Records skipped because their offset was already covered by a checkpoint.', this.redeliveriesSkipped);
    counter('iris_aggregator_late_events_total', 'Events whose window had already closed (counted as late, not in figures).', this.lateEvents);
    counter('iris_aggregator_future_dated_total', 'Events dead-lettered for an occurredAt beyond the maximum clock skew ahead of the wall clock.', this.futureDated);
    counter('iris_aggregator_dead_lettered_total', 'Telemetry records written to the dead-letter topic (invalid, wrong type, refused).', this.deadLettered);
    counter('iris_aggregator_snapshots_emitted_total', 'metrics.snapshot events emitted.', this.snapshotsEmitted);
    counter('iris_aggregator_checkpoints_total', 'Partition checkpoints written.', this.checkpoints);
    counter('iris_aggregator_records_skipped_total', 'Records never counted: gone from the log (retention) between a checkpoint and the log start.', this.recordsSkipped);
    const health = this.consumerHealth?.report();
    if (health) {
      counter('iris_aggregator_retriable_failures_total', 'Handler failures of a retriable kind (a dependency down), retried until they succeed.', health.retriableFailures);
      counter('iris_aggregator_outages_total', 'Outages the consumers waited out (one per outage).', health.outages);
      lines.push('# HELP iris_aggregator_stalled_partitions Partitions waiting out a retriable failure now.', '# TYPE iris_aggregator_stalled_partitions gauge');
      lines.push(`iris_aggregator_stalled_partitions ${health.stalled.length}`);
    }
    lines.push('# HELP iris_aggregator_event_time_lag_ms Wall time minus the newest event time processed, per partition.', '# TYPE iris_aggregator_event_time_lag_ms gauge');
    for (const [partition, lag] of this.partitionDelayMs) lines.push(`iris_aggregator_event_time_lag_ms{partition="${partition}"} ${lag}`);
    lines.push('# HELP iris_aggregator_consumer_lag Records not yet processed, per partition (as of the last fetch).', '# TYPE iris_aggregator_consumer_lag gauge');
    for (const [partition, lag] of this.partitionOffsetLag) lines.push(`iris_aggregator_consumer_lag{partition="${partition}"} ${lag}`);
    lines.push('# HELP iris_aggregator_watermark_ms Event-time watermark per partition.', '# TYPE iris_aggregator_watermark_ms gauge');
    for (const [partition, watermark] of this.partitionWatermarkMs) lines.push(`iris_aggregator_watermark_ms{partition="${partition}"} ${watermark}`);
    return lines.join('\n') + '\n';
  }
}
