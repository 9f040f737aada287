import { generateTelemetry } from '@iris/agent-sim';
import { encodeMessage, type IrisEvent } from '@iris/contracts';
import { KafkaMessageBus, silentLogger } from '@iris/messaging';
import { JsonLogger } from '@iris/observability';
import { uniqueName } from '@iris/testing';
import { AggregatorMetrics } from './aggregator-metrics';
import type { AggregatorSettings } from './aggregator-settings';
import { PartitionStore } from './partition-store';
import { useMetricsDatabase } from './testing/metrics-database';
import { DEFAULT_MAX_CLOCK_SKEW_MS, TelemetryAggregator } from './telemetry-aggregator';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
jest.setTimeout(120_000);

/** Real broker, real PostgreSQL: one agent's runaway clock must not make every later event on its partition late. */
describe('TelemetryAggregator bounds event time by the wall clock', () => {
  const database = useMetricsDatabase('iris_aggregator_skew', 4);

  it('a single event stamped years ahead is dead-lettered and counted; the events after it are counted, none late', async () => {
    const bus = new KafkaMessageBus({ connection: { brokers, clientId: uniqueName('skew') }, logger: silentLogger });
    const topic = uniqueName('telemetry-skew');
    const settings: AggregatorSettings = {
      consumerGroup: uniqueName('group'),
      windowMs: 60_000,
      allowedLatenessMs: 5_000,
      idleAfterMs: 3_600_000,
      emitIntervalMs: 100,
      maxBatchSize: 50,
      checkpointIntervalMs: 3_600_000,
      rollingViewsMs: [],
    };
    const events: IrisEvent[] = generateTelemetry({
      agent: uniqueName('agent'),
      seed: 5,
      startTimeMs: Date.now() - 20_000,
      totalRequests: 150,
      requestRatePerSec: 20,
      sessionLength: { min: 2, max: 5 },
      tenants: ['acme'],
      features: ['chat'],
      versions: [{ versionId: 'v1', weight: 1, errorRate: 0.1, latencyMs: { distribution: 'lognormal', p50: 300, p99: 900 }, costUsd: { mean: 0.01, sd: 0.001 }, toolFailureRate: 0, policyViolationRate: 0, feedbackRate: 0 }],
    }).sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
    const first = events[0];
    const runaway = { ...first, eventId: crypto.randomUUID(), occurredAt: new Date(Date.now() + 3 * 365 * 86_400_000).toISOString() } as IrisEvent;
    const metrics = new AggregatorMetrics();
    const store = new PartitionStore(database(), settings.consumerGroup, topic);
    const aggregator = new TelemetryAggregator(bus, store, settings, metrics, new JsonLogger('test', 'error', () => undefined), Date.now, {
      topic,
      maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS,
    });
    try {
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      // Everything on one partition: the runaway event first, then the others' ordinary ones.
      await bus.publish(topic, [runaway, ...events].map((event) => ({ key: 'one-partition', value: encodeMessage(event) })));
      await aggregator.start();
      const deadline = Date.now() + 60_000;
      while (metrics.eventsApplied + metrics.lateEvents + metrics.duplicates < events.length) {
        if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(metrics)}`);
        await new Promise((done) => setTimeout(done, 50));
      }
      expect(metrics.futureDated).toBe(1);
      expect(metrics.deadLettered).toBe(1);
      expect(metrics.lateEvents).toBe(0);
      expect(metrics.eventsApplied).toBe(events.length);
      expect(metrics.render()).toContain('iris_aggregator_future_dated_total 1');
    } finally {
      await aggregator.stop();
      await bus.close();
    }
  });
});
