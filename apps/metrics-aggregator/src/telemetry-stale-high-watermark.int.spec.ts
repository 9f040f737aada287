import { generateTelemetry } from '@iris/agent-sim';
import { encodeMessage, type IrisEvent } from '@iris/contracts';
import { EmbeddedMessageBus, RetriableError, silentLogger, type BatchOutcome, type MessageBus, type Subscription, type SubscriptionOptions } from '@iris/messaging';
import { JsonLogger } from '@iris/observability';
import { uniqueName } from '@iris/testing';
import { AggregatorMetrics } from './aggregator-metrics';
import type { AggregatorSettings } from './aggregator-settings';
import { embeddedEndOffsets } from './partition-end-offsets';
import { PartitionStore } from './partition-store';
import { useMetricsDatabase } from './testing/metrics-database';
import { TelemetryAggregator } from './telemetry-aggregator';

jest.setTimeout(60_000);

/**
 * The bus of a consumer living through an outage on a loaded machine, around the real embedded bus: the handler's
 * first call fails as a dependency does while it is down (a retriable error) and, meanwhile, more records are
 * published — so the batch processor retries the SAME chunk, whose highWatermark was read before them; the delivery
 * after that retry comes `slowFetchMs` late (the next fetch of a busy consumer).
 */
class OutageThenSlowFetchBus implements MessageBus {
  constructor(
    private readonly inner: EmbeddedMessageBus,
    private readonly publishedDuringOutage: () => Promise<void>,
    private readonly slowFetchMs: number,
  ) {}

  publish: MessageBus['publish'] = (topic, messages) => this.inner.publish(topic, messages);
  ensureTopics: MessageBus['ensureTopics'] = (topics) => this.inner.ensureTopics(topics);
  close: MessageBus['close'] = () => this.inner.close();

  subscribe<T>(options: SubscriptionOptions<T>): Promise<Subscription> {
    let call = 0;
    return this.inner.subscribe<T>({
      ...options,
      handleBatch: async (messages): Promise<void | BatchOutcome> => {
        call++;
        if (call === 1) {
          await this.publishedDuringOutage();
          throw new RetriableError('connect ECONNREFUSED 127.0.0.1:5432 (the database is down)');
        }
        if (call === 3) await new Promise((done) => setTimeout(done, this.slowFetchMs));
        return options.handleBatch(messages);
      },
    });
  }
}

/** Real PostgreSQL (checkpoints) and the real batch processor: what was published during an outage is counted, none late. */
describe('TelemetryAggregator after an outage, with a batch whose highWatermark is stale', () => {
  const database = useMetricsDatabase('iris_aggregator_stale_hw', 4);

  it('does not take the partition for idle until its end is read: records published during the outage count, none late, and the quiet partition then closes its windows', async () => {
    const topic = uniqueName('telemetry-stale-hw');
    const settings: AggregatorSettings = {
      consumerGroup: uniqueName('group'),
      windowMs: 500,
      allowedLatenessMs: 0,
      idleAfterMs: 300,
      emitIntervalMs: 100,
      maxBatchSize: 1_000,
      checkpointIntervalMs: 100,
      rollingViewsMs: [],
    };
    const events: IrisEvent[] = generateTelemetry({
      agent: uniqueName('agent'),
      seed: 7,
      startTimeMs: Date.now() - 5_000,
      totalRequests: 60,
      requestRatePerSec: 50,
      sessionLength: { min: 2, max: 5 },
      tenants: ['acme'],
      features: ['chat'],
      versions: [{ versionId: 'v1', weight: 1, errorRate: 0.1, latencyMs: { distribution: 'lognormal', p50: 100, p99: 300 }, costUsd: { mean: 0.01, sd: 0.001 }, toolFailureRate: 0, policyViolationRate: 0, feedbackRate: 0 }],
    }).sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
    const beforeOutage = events.slice(0, events.length / 2);
    const duringOutage = events.slice(events.length / 2);
    const lastEventMs = Date.parse(events[events.length - 1]!.occurredAt);
    const toMessages = (batch: IrisEvent[]) => batch.map((event) => ({ key: 'one-partition', value: encodeMessage(event) }));

    const inner = new EmbeddedMessageBus({ logger: silentLogger });
    const bus = new OutageThenSlowFetchBus(inner, () => inner.publish(topic, toMessages(duringOutage)), 5 * settings.idleAfterMs);
    const metrics = new AggregatorMetrics();
    const store = new PartitionStore(database(), settings.consumerGroup, topic);
    const aggregator = new TelemetryAggregator(bus, store, settings, metrics, new JsonLogger('test', 'error', () => undefined), Date.now, {
      topic,
      endOffsets: embeddedEndOffsets(inner),
    });
    try {
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      await bus.publish(topic, toMessages(beforeOutage));
      await aggregator.start();
      const deadline = Date.now() + 30_000;
      // Every record handled, and the quiet partition's watermark past the last event's window (no new traffic needed).
      while (metrics.eventsApplied + metrics.lateEvents + metrics.duplicates < events.length || !((metrics.partitionWatermarkMs.get(0) ?? 0) > lastEventMs + settings.windowMs)) {
        if (Date.now() > deadline) throw new Error(`timed out: applied ${metrics.eventsApplied}, late ${metrics.lateEvents} of ${events.length}; watermark ${metrics.partitionWatermarkMs.get(0)}, last event ${lastEventMs}`);
        await new Promise((done) => setTimeout(done, 50));
      }
      expect({ late: metrics.lateEvents, applied: metrics.eventsApplied }).toEqual({ late: 0, applied: events.length });
    } finally {
      await aggregator.stop();
      await bus.close();
    }
  });
  it('holds a quiet partition\'s windows while its end cannot be read, and lets them close once it can', async () => {
    const topic = uniqueName('telemetry-end-unreadable');
    const settings: AggregatorSettings = {
      consumerGroup: uniqueName('group'),
      windowMs: 500,
      allowedLatenessMs: 0,
      idleAfterMs: 200,
      emitIntervalMs: 100,
      maxBatchSize: 1_000,
      checkpointIntervalMs: 100,
      rollingViewsMs: [],
    };
    const events: IrisEvent[] = generateTelemetry({
      agent: uniqueName('agent'),
      seed: 9,
      startTimeMs: Date.now() - 5_000,
      totalRequests: 20,
      requestRatePerSec: 50,
      sessionLength: { min: 2, max: 3 },
      tenants: ['acme'],
      features: ['chat'],
      versions: [{ versionId: 'v1', weight: 1, errorRate: 0, latencyMs: { distribution: 'lognormal', p50: 100, p99: 300 }, costUsd: { mean: 0.01, sd: 0.001 }, toolFailureRate: 0, policyViolationRate: 0, feedbackRate: 0 }],
    }).sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
    const lastEventMs = Date.parse(events[events.length - 1]!.occurredAt);
    const bus = new EmbeddedMessageBus({ logger: silentLogger });
    const readable = embeddedEndOffsets(bus);
    let brokerDown = true;
    let reads = 0;
    const metrics = new AggregatorMetrics();
    const aggregator = new TelemetryAggregator(bus, new PartitionStore(database(), settings.consumerGroup, topic), settings, metrics, new JsonLogger('test', 'error', () => undefined), Date.now, {
      topic,
      endOffsets: async (name) => {
        reads++;
        if (brokerDown) throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
        return readable(name);
      },
    });
    const watermark = () => metrics.partitionWatermarkMs.get(0) ?? 0;
    try {
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      await bus.publish(topic, events.map((event) => ({ key: 'one-partition', value: encodeMessage(event) })));
      await aggregator.start();
      const deadline = Date.now() + 20_000;
      while (metrics.eventsApplied < events.length || reads < 3) {
        if (Date.now() > deadline) throw new Error(`timed out: applied ${metrics.eventsApplied} of ${events.length}, ${reads} end reads`);
        await new Promise((done) => setTimeout(done, 50));
      }
      await new Promise((done) => setTimeout(done, 5 * settings.idleAfterMs));
      expect(watermark()).toBeLessThanOrEqual(lastEventMs); // held: no wall-clock advance without the end
      brokerDown = false;
      while (!(watermark() > lastEventMs + settings.windowMs)) {
        if (Date.now() > deadline) throw new Error(`timed out: watermark ${watermark()}, last event ${lastEventMs}`);
        await new Promise((done) => setTimeout(done, 50));
      }
      expect(metrics.lateEvents).toBe(0);
    } finally {
      await aggregator.stop();
      await bus.close();
    }
  });
  it('a quiet partition whose checkpoint failed (nothing after it to redeliver) is reloaded and closes its windows without new traffic', async () => {
    const topic = uniqueName('telemetry-quiet-discarded');
    const settings: AggregatorSettings = {
      consumerGroup: uniqueName('group'),
      windowMs: 300,
      allowedLatenessMs: 0,
      idleAfterMs: 200,
      emitIntervalMs: 100,
      maxBatchSize: 1_000,
      checkpointIntervalMs: 100,
      rollingViewsMs: [],
    };
    const events: IrisEvent[] = generateTelemetry({
      agent: uniqueName('agent'),
      seed: 13,
      startTimeMs: Date.now() - 5_000,
      totalRequests: 10,
      requestRatePerSec: 50,
      sessionLength: { min: 2, max: 3 },
      tenants: ['acme'],
      features: ['chat'],
      versions: [{ versionId: 'v1', weight: 1, errorRate: 0, latencyMs: { distribution: 'lognormal', p50: 100, p99: 300 }, costUsd: { mean: 0.01, sd: 0.001 }, toolFailureRate: 0, policyViolationRate: 0, feedbackRate: 0 }],
    }).sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
    const bus = new EmbeddedMessageBus({ logger: silentLogger });
    const metrics = new AggregatorMetrics();
    const store = new PartitionStore(database(), settings.consumerGroup, topic);
    const aggregator = new TelemetryAggregator(bus, store, settings, metrics, new JsonLogger('test', 'error', () => undefined), Date.now, {
      topic,
      endOffsets: embeddedEndOffsets(bus),
    });
    const storedWatermark = async () => (await store.load(0))?.watermarkMs ?? 0;
    const until = async (what: string, condition: () => Promise<boolean>) => {
      const deadline = Date.now() + 20_000;
      while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((done) => setTimeout(done, 50));
      }
    };
    try {
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      await bus.publish(topic, events.map((event) => ({ key: 'one-partition', value: encodeMessage(event) })));
      await aggregator.start();
      await until('the idle partition following wall time', async () => (await storedWatermark()) > Date.now() - 2_000);
      // The checkpoint table is away for a moment: the next idle checkpoint fails and the copy is discarded.
      await database().query('ALTER TABLE metrics_partition_checkpoints RENAME TO metrics_partition_checkpoints_away');
      const failuresBefore = metrics.checkpoints;
      await new Promise((done) => setTimeout(done, 4 * settings.windowMs));
      await database().query('ALTER TABLE metrics_partition_checkpoints_away RENAME TO metrics_partition_checkpoints');
      expect(metrics.checkpoints).toBe(failuresBefore); // none succeeded while away
      const backAt = Date.now();
      await until('the stored watermark moving on after the table is back', async () => (await storedWatermark()) > backAt - settings.idleAfterMs);
      expect(metrics.eventsApplied).toBe(events.length);
      expect(metrics.lateEvents).toBe(0);
    } finally {
      await aggregator.stop();
      await bus.close();
    }
  });
});
