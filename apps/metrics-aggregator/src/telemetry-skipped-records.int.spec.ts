import { generateTelemetry } from '@iris/agent-sim';
import { EmbeddedMessageBus, silentLogger, type DecodedMessage } from '@iris/messaging';
import { JsonLogger } from '@iris/observability';
import { uniqueName } from '@iris/testing';
import type { TelemetryEvent } from './aggregation';
import { AggregatorMetrics, SKIPPED_RECORDS_READINESS_MS } from './aggregator-metrics';
import type { AggregatorSettings } from './aggregator-settings';
import { PartitionStore } from './partition-store';
import { useMetricsDatabase } from './testing/metrics-database';
import { TelemetryAggregator } from './telemetry-aggregator';

jest.setTimeout(60_000);

/**
 * Real PostgreSQL: a partition whose log now starts after its checkpoint (retention removed records never counted)
 * goes on without them, and says so in a metric and in readiness, not only in a log line.
 */
describe('TelemetryAggregator when records between its checkpoint and the log start are gone', () => {
  const database = useMetricsDatabase('iris_aggregator_skipped', 4);

  it('counts the records skipped for good and reports them in readiness for a while', async () => {
    const topic = uniqueName('telemetry-skipped');
    const settings: AggregatorSettings = {
      consumerGroup: uniqueName('group'),
      windowMs: 3_600_000,
      allowedLatenessMs: 0,
      idleAfterMs: 3_600_000,
      emitIntervalMs: 100,
      maxBatchSize: 100,
      checkpointIntervalMs: 3_600_000,
      rollingViewsMs: [],
    };
    const events = generateTelemetry({
      agent: uniqueName('agent'),
      seed: 11,
      startTimeMs: Date.now() - 60_000,
      totalRequests: 10,
      requestRatePerSec: 10,
      sessionLength: { min: 2, max: 3 },
      tenants: ['acme'],
      features: ['chat'],
      versions: [{ versionId: 'v1', weight: 1, errorRate: 0, latencyMs: { distribution: 'lognormal', p50: 100, p99: 300 }, costUsd: { mean: 0.01, sd: 0.001 }, toolFailureRate: 0, policyViolationRate: 0, feedbackRate: 0 }],
    }).sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt)) as TelemetryEvent[];
    const at = (offset: number): DecodedMessage<TelemetryEvent> => ({
      value: events[offset]!,
      key: 'one-partition',
      topic,
      partition: 0,
      offset: String(offset),
      headers: {},
      timestamp: String(Date.now()),
      highWatermark: String(events.length),
    });
    const store = new PartitionStore(database(), settings.consumerGroup, topic);
    const logger = new JsonLogger('test', 'error', () => undefined);
    const bus = new EmbeddedMessageBus({ logger: silentLogger }); // not subscribed: the batches are handed over below
    let nowMs = Date.now();

    // A first instance counts offsets 0..4 and saves them (stop saves every partition).
    const first = new TelemetryAggregator(bus, store, settings, new AggregatorMetrics(), logger, () => nowMs, { topic });
    expect(await first.handleBatch([0, 1, 2, 3, 4].map(at))).toBeUndefined();
    await first.stop();

    // The next one gets a batch from offset 8: 5..7 were removed by retention before anyone counted them.
    const metrics = new AggregatorMetrics();
    const second = new TelemetryAggregator(bus, store, settings, metrics, logger, () => nowMs, { topic });
    const later = [8, 9, 10].map(at);
    expect(await second.handleBatch(later)).toEqual({ resumeFrom: '5' }); // first it asks for them again
    expect(metrics.recordsSkipped).toBe(0);
    expect(() => metrics.assertNothingSkippedRecently(nowMs)).not.toThrow();
    expect(await second.handleBatch(later)).toBeUndefined(); // the log still starts at 8: they are gone
    expect(metrics.recordsSkipped).toBe(3);
    expect(metrics.render()).toContain('iris_aggregator_records_skipped_total 3');
    expect(() => metrics.assertNothingSkippedRecently(nowMs + 1_000)).toThrow(/telemetry partition 0: records 5\.\.7 were gone/);
    expect(() => metrics.assertNothingSkippedRecently(nowMs + SKIPPED_RECORDS_READINESS_MS)).not.toThrow();
    nowMs += 1_000;
    await second.stop();
    expect((await store.load(0))?.nextOffset).toBe(11n);
  });
});
