import type { ConsumerHealth } from '@iris/messaging';

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
  /** Per partition: event time of the newest event seen minus wall time when it was processed (ms). */
  readonly partitionDelayMs = new Map<number, number>();
  readonly partitionWatermarkMs = new Map<number, number>();
  /** Per partition: records behind the partition's end as of the last fetch (consumer lag). */
  readonly partitionOffsetLag = new Map<number, number>();
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
