import { generateTelemetry } from '@iris/agent-sim';
import { encodeMessage, keyFor, type IrisEvent } from '@iris/contracts';
import { EmbeddedMessageBus, KafkaMessageBus, silentLogger, type DecodedMessage, type MessageBus } from '@iris/messaging';
import { JsonLogger } from '@iris/observability';
import { uniqueName } from '@iris/testing';
import type { TelemetryEvent } from './aggregation';
import { AggregatorMetrics } from './aggregator-metrics';
import type { AggregatorSettings } from './aggregator-settings';
import { PartitionStore } from './partition-store';
import { useMetricsDatabase } from './testing/metrics-database';
import { TelemetryAggregator } from './telemetry-aggregator';

jest.setTimeout(60_000);

/**
 * Exactly-once effect of the checkpointing (real PostgreSQL): every record is counted once in the stored state.
 * A "crash" here stops consuming without saving or committing anything, in process; the abrupt stop of a real process
 * (kill -9 of a metrics-aggregator on Kafka, then a restart and a second instance) is test/e2e/metrics-aggregator.e2e.spec.ts.
 */
describe('TelemetryAggregator checkpoints', () => {
  const database = useMetricsDatabase('iris_aggregator', 4);

  const quiet = () => new JsonLogger('test', 'error', () => undefined);
  const settings = (overrides: Partial<AggregatorSettings> = {}): AggregatorSettings => ({
    consumerGroup: uniqueName('group'),
    windowMs: 3_600_000, // one window: nothing closes, only the interval (or stop) saves
    allowedLatenessMs: 0,
    idleAfterMs: 3_600_000,
    emitIntervalMs: 100,
    maxBatchSize: 50,
    checkpointIntervalMs: 3_600_000,
    rollingViewsMs: [],
    ...overrides,
  });

  function telemetry(count: number): IrisEvent[] {
    return generateTelemetry({
      agent: uniqueName('agent'),
      seed: 3,
      startTimeMs: Date.UTC(2030, 0, 1),
      totalRequests: count,
      requestRatePerSec: 100,
      sessionLength: { min: 2, max: 5 },
      tenants: ['acme'],
      features: ['chat'],
      versions: [{ versionId: 'v1', weight: 1, errorRate: 0.1, latencyMs: { distribution: 'lognormal', p50: 300, p99: 900 }, costUsd: { mean: 0.01, sd: 0.001 }, toolFailureRate: 0.05, policyViolationRate: 0, feedbackRate: 0.1 }],
    })
      .sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt))
      .slice(0, count);
  }

  /** Records counted in the stored checkpoints of every partition. */
  async function storedCount(store: PartitionStore, partitions: number): Promise<number> {
    let total = 0;
    for (let partition = 0; partition < partitions; partition++) total += (await store.load(partition))?.state.counters.applied ?? 0;
    return total;
  }

  /** Stops consuming without saving anything (what kill -9 leaves behind). */
  async function crash(aggregator: TelemetryAggregator): Promise<void> {
    const internals = aggregator as unknown as { subscription: { stop(): Promise<void> }; timer: NodeJS.Timeout };
    clearInterval(internals.timer);
    await internals.subscription.stop();
  }

  async function eventually(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((done) => setTimeout(done, 20));
    }
  }

  const kafkaBrokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const busesUnderTest: Array<[string, () => MessageBus]> = [
    ['the embedded bus', () => new EmbeddedMessageBus({ logger: silentLogger, defaultPartitions: 3 })],
    ['Kafka', () => new KafkaMessageBus({ connection: { brokers: kafkaBrokers, clientId: uniqueName('aggregator-checkpoints') }, logger: silentLogger })],
  ];

  it.each(busesUnderTest)('on %s, commits only what a checkpoint covers: after a crash the unsaved records come again and count once', async (_name, createBus) => {
    const bus = createBus();
    const topic = uniqueName('telemetry');
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    const config = settings();
    const store = new PartitionStore(database(), config.consumerGroup, topic);
    const events = telemetry(600);
    await bus.publish(topic, events.map((event) => ({ key: keyFor(event), value: encodeMessage(event) })));

    // First instance: applies everything, saves nothing (the interval never passes), then dies without stop().
    const firstMetrics = new AggregatorMetrics();
    const first = new TelemetryAggregator(bus, store, config, firstMetrics, quiet(), Date.now, { topic });
    await first.start();
    await eventually('every record applied', () => firstMetrics.eventsApplied === events.length, 60_000);
    await crash(first);
    expect(await storedCount(store, 3)).toBe(0);

    // The next one gets everything again (nothing was committed) and saves on a graceful stop.
    const secondMetrics = new AggregatorMetrics();
    const second = new TelemetryAggregator(bus, store, config, secondMetrics, quiet(), Date.now, { topic });
    await second.start();
    await eventually('every record applied again', () => secondMetrics.eventsApplied === events.length, 60_000);
    await second.stop();
    expect(await storedCount(store, 3)).toBe(events.length);

    // Saved and committed: a third instance is handed only what is new (known once it has applied the new records).
    const thirdMetrics = new AggregatorMetrics();
    const third = new TelemetryAggregator(bus, store, config, thirdMetrics, quiet(), Date.now, { topic });
    await third.start();
    const fresh = telemetry(40);
    await bus.publish(topic, fresh.map((event) => ({ key: keyFor(event), value: encodeMessage(event) })));
    await eventually('the new records applied', () => thirdMetrics.eventsApplied === fresh.length, 60_000);
    await third.stop();
    expect(thirdMetrics.eventsApplied).toBe(fresh.length);
    expect(thirdMetrics.redeliveriesSkipped).toBe(0);
    expect(await storedCount(store, 3)).toBe(events.length + fresh.length);
    await bus.close();
  });

  it('saves in the background every checkpointIntervalMs while consuming', async () => {
    const bus = new EmbeddedMessageBus({ logger: silentLogger, defaultPartitions: 2 });
    const topic = uniqueName('telemetry');
    const config = settings({ checkpointIntervalMs: 50 });
    const store = new PartitionStore(database(), config.consumerGroup, topic);
    const events = telemetry(400);
    const metrics = new AggregatorMetrics();
    const aggregator = new TelemetryAggregator(bus, store, config, metrics, quiet(), Date.now, { topic });
    await aggregator.start();
    for (let i = 0; i < events.length; i += 50) {
      await bus.publish(topic, events.slice(i, i + 50).map((event) => ({ key: keyFor(event), value: encodeMessage(event) })));
      await new Promise((done) => setTimeout(done, 20));
    }
    await eventually('everything saved without a stop', async () => (await storedCount(store, 2)) === events.length);
    expect(metrics.checkpoints).toBeGreaterThan(1);
    await aggregator.stop();
    await bus.close();
  });

  it('a copy whose save lost to another instance has its partition redelivered, even when nothing new arrives', async () => {
    const bus = new EmbeddedMessageBus({ logger: silentLogger });
    const topic = uniqueName('telemetry');
    const config = settings({ checkpointIntervalMs: 20 });
    const store = new PartitionStore(database(), config.consumerGroup, topic);
    const events = telemetry(200);
    const publish = (from: number, to: number) => bus.publish(topic, events.slice(from, to).map((event) => ({ key: keyFor(event), value: encodeMessage(event) })));
    const aggregator = new TelemetryAggregator(bus, store, config, new AggregatorMetrics(), quiet(), Date.now, { topic });
    await aggregator.start();
    await publish(0, 100);
    await eventually('0..99 saved', async () => (await store.load(0))?.nextOffset === 100n);

    // Another instance (a zombie, a rebalance race) saves 100..149 first: the running copy's next save fails.
    const other = new TelemetryAggregator(bus, store, settings({ consumerGroup: config.consumerGroup, checkpointIntervalMs: 0 }), new AggregatorMetrics(), quiet(), Date.now, { topic });
    const records = events.map((event, offset) => ({ value: event as TelemetryEvent, key: keyFor(event), topic, partition: 0, offset: String(offset), headers: {}, timestamp: '0', highWatermark: '200' }));
    await other.handleBatch(records.slice(100, 150));
    await eventually('the other instance saved 100..149', async () => (await store.load(0))?.nextOffset === 150n);

    await publish(100, 200); // the last records: nothing arrives after them to drive a reload
    await eventually('every record saved once', async () => (await store.load(0))?.nextOffset === 200n);
    expect(await storedCount(store, 1)).toBe(200);
    await aggregator.stop();
    await bus.close();
  });

  it('a copy that fell behind the store reloads it and has missing records redelivered (two instances racing)', async () => {
    const topic = uniqueName('telemetry');
    const config = settings({ checkpointIntervalMs: 0 }); // every batch starts a checkpoint
    const store = new PartitionStore(database(), config.consumerGroup, topic);
    const events = telemetry(30);
    const records: Array<DecodedMessage<TelemetryEvent>> = events.map((event, offset) => ({
      value: event as TelemetryEvent,
      key: keyFor(event),
      topic,
      partition: 0,
      offset: String(offset),
      headers: {},
      timestamp: '0',
      highWatermark: '1000',
    }));
    const bus = new EmbeddedMessageBus({ logger: silentLogger });
    const a = new TelemetryAggregator(bus, store, config, new AggregatorMetrics(), quiet(), Date.now, { topic });
    const b = new TelemetryAggregator(bus, store, config, new AggregatorMetrics(), quiet(), Date.now, { topic });
    const storedOffset = async () => (await store.load(0))?.nextOffset;

    expect(await a.handleBatch(records.slice(0, 10))).toBeUndefined();
    await eventually('A saved 0..9', async () => (await storedOffset()) === 10n);
    expect(await b.handleBatch(records.slice(0, 20))).toBeUndefined(); // B takes over: skips 0..9 by offset
    await eventually('B saved 10..19', async () => (await storedOffset()) === 20n);

    await a.handleBatch(records.slice(10, 15)); // A's copy is stale: its save fails and the copy is discarded
    await new Promise((done) => setTimeout(done, 300));
    expect(await storedOffset()).toBe(20n);
    // Records 20..24 went to A's discarded copy; the next batch starts after them: A asks for them again.
    expect(await a.handleBatch(records.slice(25, 30))).toEqual({ resumeFrom: '20' });
    expect(await a.handleBatch(records.slice(20, 30))).toBeUndefined();
    await eventually('A saved 20..29', async () => (await storedOffset()) === 30n);
    expect(await storedCount(store, 1)).toBe(30);
    await bus.close();
  });
});
