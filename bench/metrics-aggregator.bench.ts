/**
 * metrics-aggregator on a real broker and PostgreSQL, same run:
 * (1) throughput: N pre-published telemetry events (fresh 12-partition topic), consumed again and again from the start:
 *     by raw kafkajs eachBatch consumers that only JSON.parse — once with kafkajs's default consumer settings and once
 *     with the aggregator's own (METRICS_AGGREGATOR_KAFKA_CONSUMER: partitions consumed concurrently, fetch sizes, wait)
 *     — and by the real TelemetryAggregator (PartitionStore on PostgreSQL, KafkaMessageBus, production settings: window
 *     10 s, lateness 5 s, maxBatchSize 500, checkpoints every 1 s). One unmeasured warm-up of each, then
 *     BENCH_TELEMETRY_ROUNDS rounds (default 3) with the three interleaved; the baseline is the BEST raw configuration's
 *     median, and the ratio is the aggregator's median over it;
 * (2) end-to-end latency: aggregator + SnapshotEmitter + EventLogPublisher with window 1 s, lateness 200 ms,
 *     idle 500 ms, a steady stream at ~2,000 events/s with event time = wall time; per window, the time its
 *     metrics.snapshot arrives on the metrics topic minus (window end + allowed lateness). The stream goes on
 *     for two windows after the measured ones, as a live stream would: the very last window of a stream only
 *     closes once its partitions are found idle (METRICS_IDLE_PARTITION_MS), which is not steady-state latency.
 * Run: npx ts-node --transpile-only -r ./libs/agent-sim/src/source-aliases.ts bench/metrics-aggregator.bench.ts
 * (env: KAFKA_BROKERS, DATABASE_URL = admin URL, BENCH_TELEMETRY_EVENTS, BENCH_TELEMETRY_RATE, BENCH_LATENCY_SECONDS)
 * Without KAFKA_BROKERS a local broker is started and stopped (startKafkaBroker).
 */
import '../libs/agent-sim/src/source-aliases';
import { Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { generateTelemetry } from '../libs/agent-sim/src';
import { decodeMessage, encodeMessage, IrisEvent, keyFor, TOPICS } from '../libs/contracts/src';
import { createEventStoreDataSource, PostgresEventStore } from '../libs/event-store/src';
import { KafkaMessageBus, KafkaMessageBusOptions, silentLogger } from '../libs/messaging/src';
import { JsonLogger } from '../libs/observability/src';
import { EventLogPublisher } from '../libs/runtime/src/event-log-publisher';
import { createFreshDatabase, DEFAULT_DATABASE_URL, dropDatabase, startKafkaBroker, uniqueName } from '../libs/testing/src';
import { AggregatorMetrics } from '../apps/metrics-aggregator/src/aggregator-metrics';
import type { AggregatorSettings } from '../apps/metrics-aggregator/src/aggregator-settings';
import { MetricsAggregatorTables1763900000000 as MetricsTables } from '../apps/metrics-aggregator/src/migrations/1763900000000-metrics-aggregator-tables';
import { PartitionStore } from '../apps/metrics-aggregator/src/partition-store';
import { SnapshotEmitter } from '../apps/metrics-aggregator/src/snapshot-emitter';
import { TelemetryAggregator } from '../apps/metrics-aggregator/src/telemetry-aggregator';
import { METRICS_AGGREGATOR_KAFKA_CONSUMER } from '../apps/metrics-aggregator/src/metrics-aggregator.service';

export interface MetricsAggregatorBenchResult {
  throughput: {
    events: number;
    partitions: number;
    eventRatePerSec: number;
    messageBytes: number;
    rounds: number;
    /** Raw kafkajs consumers (JSON.parse only), each configuration's rounds and median. */
    rawConfigurations: Array<{ name: string; settings: RawConsumerSettings; eventsPerSecond: number[]; medianEventsPerSecond: number }>;
    /** The best raw configuration (highest median): the baseline. */
    raw: { configuration: string; eventsPerSecond: number };
    aggregator: { eventsPerSecond: number; roundsEventsPerSecond: number[]; applied: number; checkpoints: number; eventsPerCheckpoint: number };
    /** aggregator median ÷ best raw median events/s (same run, same topic, interleaved rounds). */
    ratio: number;
  };
  latency?: {
    seconds: number;
    events: number;
    windows: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /** Each measured window: its end (ms since the first one) and its snapshot's delay after close, in order. */
    perWindow: Array<{ windowEndMs: number; delayMs: number }>;
  };
}

export interface MetricsAggregatorBenchOptions {
  brokers?: string;
  adminDatabaseUrl?: string;
  events?: number;
  /** Simulated requests per second of event time (state size depends on it). Default 5,000. */
  eventRatePerSec?: number;
  /** Seconds of the steady stream for the latency part; 0 skips it. Default 20. */
  latencySeconds?: number;
  /** Bus consumer tuning for the aggregator (default: what the service uses, METRICS_AGGREGATOR_KAFKA_CONSUMER). */
  busConsumer?: KafkaMessageBusOptions['consumer'];
  log?: (line: string) => void;
}

const quietLogger = () => new JsonLogger('bench-metrics-aggregator', 'error', () => undefined);

const VERSIONS = [
  { versionId: 'v1', weight: 0.8, errorRate: 0.02, latencyMs: { distribution: 'lognormal' as const, p50: 400, p99: 2_000 }, costUsd: { mean: 0.01, sd: 0.002 }, toolFailureRate: 0.01, policyViolationRate: 0, feedbackRate: 0.05 },
  { versionId: 'v2', weight: 0.2, errorRate: 0.1, latencyMs: { distribution: 'lognormal' as const, p50: 600, p99: 3_000 }, costUsd: { mean: 0.02, sd: 0.004 }, toolFailureRate: 0.05, policyViolationRate: 0.05, feedbackRate: 0.05 },
];

/** Requests dominate: long sessions, little feedback. Sorted by event time, as agents publish. */
function telemetry(agent: string, events: number, ratePerSec: number, startTimeMs: number, seed: number): IrisEvent[] {
  const generated = generateTelemetry({
    agent,
    seed,
    startTimeMs,
    totalRequests: Math.ceil(events * 0.95),
    requestRatePerSec: ratePerSec,
    sessionLength: { min: 10, max: 40 },
    concurrentSessions: 64,
    tenants: ['acme', 'globex', 'initech'],
    features: ['chat', 'search'],
    versions: VERSIONS,
  });
  generated.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
  return generated.slice(0, events);
}

function productionSettings(consumerGroup: string): AggregatorSettings {
  return { consumerGroup, windowMs: 10_000, allowedLatenessMs: 5_000, idleAfterMs: 5_000, emitIntervalMs: 100, maxBatchSize: 500, checkpointIntervalMs: 1_000, rollingViewsMs: [] };
}

export async function runMetricsAggregatorBench(options: MetricsAggregatorBenchOptions = {}): Promise<MetricsAggregatorBenchResult> {
  const total = options.events ?? Number(process.env.BENCH_TELEMETRY_EVENTS ?? 500_000);
  const rate = options.eventRatePerSec ?? Number(process.env.BENCH_TELEMETRY_RATE ?? 5_000);
  const latencySeconds = options.latencySeconds ?? Number(process.env.BENCH_LATENCY_SECONDS ?? 20);
  const log = options.log ?? (() => undefined);
  const busConsumer = options.busConsumer ?? { ...METRICS_AGGREGATOR_KAFKA_CONSUMER };
  const adminUrl = options.adminDatabaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;

  const startedBroker = options.brokers ?? process.env.KAFKA_BROKERS ? undefined : await startKafkaBroker({ log });
  const brokers = (options.brokers ?? process.env.KAFKA_BROKERS ?? startedBroker!.brokers).split(',');
  const kafka = new Kafka({ clientId: uniqueName('bench-agg-raw'), brokers, logLevel: logLevel.NOTHING });
  const databaseUrl = await createFreshDatabase(adminUrl, 'iris_bench_metrics');
  const dataSource = createEventStoreDataSource({ url: databaseUrl, extraMigrations: [MetricsTables], poolSize: 10 });
  const partitions = TOPICS.telemetry.partitions;
  const topic = uniqueName('bench-telemetry');
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  try {
    await dataSource.initialize();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }, { topic: TOPICS.metrics.name, numPartitions: TOPICS.metrics.partitions }] });
    await admin.disconnect();
    await producer.connect();

    // ---- (1) throughput ----
    const messageBytes = await generateAndPublish(producer, topic, total, rate, log); // the generated events are garbage by now

    const rounds = Number(process.env.BENCH_TELEMETRY_ROUNDS ?? 3);
    const rawConfigurations = [
      { name: 'kafkajs defaults', settings: {} as RawConsumerSettings },
      { name: "the aggregator's consumer settings", settings: rawSettingsOf(busConsumer) },
    ];
    const rawRuns = rawConfigurations.map(() => [] as number[]);
    const aggregatorRuns: Array<Awaited<ReturnType<typeof consumeWithAggregator>>> = [];
    for (let round = 0; round <= rounds; round++) {
      const warmUp = round === 0;
      for (const [i, configuration] of rawConfigurations.entries()) {
        const raw = await consumeRaw(kafka, topic, total, configuration.settings);
        log(`${warmUp ? 'warm-up' : `round ${round}`}: raw kafkajs (${configuration.name}) ${raw.eventsPerSecond} events/s`);
        if (!warmUp) rawRuns[i]!.push(raw.eventsPerSecond);
      }
      const aggregator = await consumeWithAggregator(brokers, dataSource, topic, total, busConsumer);
      log(`${warmUp ? 'warm-up' : `round ${round}`}: aggregator ${aggregator.eventsPerSecond} events/s (${aggregator.checkpoints} checkpoints)`);
      if (!warmUp) aggregatorRuns.push(aggregator);
    }
    const rawResults = rawConfigurations.map((configuration, i) => ({ ...configuration, eventsPerSecond: rawRuns[i]!, medianEventsPerSecond: median(rawRuns[i]!) }));
    const best = rawResults.reduce((a, b) => (b.medianEventsPerSecond > a.medianEventsPerSecond ? b : a));
    const aggregatorMedian = median(aggregatorRuns.map((run) => run.eventsPerSecond));
    const last = aggregatorRuns[aggregatorRuns.length - 1]!;

    const result: MetricsAggregatorBenchResult = {
      throughput: {
        events: total,
        partitions,
        eventRatePerSec: rate,
        messageBytes,
        rounds,
        rawConfigurations: rawResults,
        raw: { configuration: best.name, eventsPerSecond: best.medianEventsPerSecond },
        aggregator: {
          eventsPerSecond: aggregatorMedian,
          roundsEventsPerSecond: aggregatorRuns.map((run) => run.eventsPerSecond),
          applied: last.applied,
          checkpoints: last.checkpoints,
          eventsPerCheckpoint: last.eventsPerCheckpoint,
        },
        ratio: round(aggregatorMedian / best.medianEventsPerSecond, 3),
      },
    };

    // ---- (2) end-to-end latency ----
    if (latencySeconds > 0) result.latency = await measureLatency(kafka, producer, brokers, dataSource, latencySeconds, busConsumer, log);
    return result;
  } finally {
    await producer.disconnect().catch(() => undefined);
    if (dataSource.isInitialized) await dataSource.destroy();
    await dropDatabase(databaseUrl, adminUrl).catch(() => undefined);
    await startedBroker?.stop();
  }
}

/** Publishes `total` telemetry events to `topic`; returns their mean size in bytes. */
async function generateAndPublish(producer: Producer, topic: string, total: number, rate: number, log: (line: string) => void): Promise<number> {
  log(`generating ${total} telemetry events…`);
  const spanMs = ((total / 0.95) / rate) * 1000;
  const events = telemetry(uniqueName('bench-agent'), total, rate, Date.now() - spanMs, 42);
  if (events.length < total) throw new Error(`generated only ${events.length} events`);
  const encoded = events.map((event) => ({ key: keyFor(event), value: encodeMessage(event) }));
  const messageBytes = Math.round(encoded.reduce((s, m) => s + m.value.length, 0) / encoded.length);
  log(`publishing ${total} events (~${messageBytes} bytes) to ${topic} (${TOPICS.telemetry.partitions} partitions)…`);
  await publishAll(producer, topic, encoded);
  return messageBytes;
}

async function publishAll(producer: Producer, topic: string, messages: Array<{ key: string; value: Buffer }>): Promise<void> {
  const batch = 2_000;
  const inFlight = 4;
  let next = 0;
  const worker = async () => {
    while (next < messages.length) {
      const start = next;
      next += batch;
      await producer.send({ topic, acks: -1, messages: messages.slice(start, start + batch) });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** The kafkajs consumer settings a KafkaMessageBus consumer runs with (the same mapping as the bus). */
interface RawConsumerSettings {
  maxBytesPerPartition?: number;
  maxWaitTimeInMs?: number;
  partitionsConsumedConcurrently?: number;
}

function rawSettingsOf(busConsumer: KafkaMessageBusOptions['consumer']): RawConsumerSettings {
  return {
    maxBytesPerPartition: busConsumer?.maxBytesPerPartition,
    maxWaitTimeInMs: busConsumer?.maxWaitTimeMs ?? 1000,
    partitionsConsumedConcurrently: busConsumer?.partitionsConsumedConcurrently ?? 1,
  };
}

async function consumeRaw(kafka: Kafka, topic: string, total: number, settings: RawConsumerSettings): Promise<{ eventsPerSecond: number; seconds: number }> {
  const consumer = kafka.consumer({ groupId: uniqueName('bench-agg-raw'), maxBytesPerPartition: settings.maxBytesPerPartition, maxWaitTimeInMs: settings.maxWaitTimeInMs });
  let seen = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const started = process.hrtime.bigint();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
    eachBatch: async ({ batch, heartbeat }) => {
      for (const message of batch.messages) {
        const event = JSON.parse(message.value!.toString()) as { type: string };
        if (event.type && ++seen === total) done();
      }
      await heartbeat();
    },
  });
  await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await consumer.disconnect();
  return { eventsPerSecond: Math.round(total / seconds), seconds: round(seconds, 2) };
}

async function consumeWithAggregator(
  brokers: string[],
  dataSource: import('typeorm').DataSource,
  topic: string,
  total: number,
  busConsumer: KafkaMessageBusOptions['consumer'],
): Promise<{ eventsPerSecond: number; seconds: number; applied: number; checkpoints: number; eventsPerCheckpoint: number }> {
  const bus = new KafkaMessageBus({ connection: { brokers, clientId: uniqueName('bench-agg') }, logger: silentLogger, consumer: busConsumer });
  const settings = productionSettings(uniqueName('bench-aggregator'));
  const metrics = new AggregatorMetrics();
  const store = new PartitionStore(dataSource, settings.consumerGroup, topic);
  const aggregator = new TelemetryAggregator(bus, store, settings, metrics, quietLogger(), Date.now, { topic });
  const counted = () => metrics.eventsApplied + metrics.duplicates + metrics.lateEvents;
  try {
    const started = process.hrtime.bigint();
    await aggregator.start();
    while (counted() < total) await new Promise((r) => setTimeout(r, 5));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return {
      eventsPerSecond: Math.round(total / seconds),
      seconds: round(seconds, 2),
      applied: metrics.eventsApplied,
      checkpoints: metrics.checkpoints,
      eventsPerCheckpoint: Math.round(total / Math.max(1, metrics.checkpoints)),
    };
  } finally {
    await aggregator.stop();
    await bus.close();
  }
}

async function measureLatency(
  kafka: Kafka,
  producer: Producer,
  brokers: string[],
  dataSource: import('typeorm').DataSource,
  seconds: number,
  busConsumer: KafkaMessageBusOptions['consumer'],
  log: (line: string) => void,
): Promise<NonNullable<MetricsAggregatorBenchResult['latency']>> {
  const windowMs = 1_000;
  const allowedLatenessMs = 200;
  const settings: AggregatorSettings = {
    consumerGroup: uniqueName('bench-latency'),
    windowMs,
    allowedLatenessMs,
    idleAfterMs: 500,
    emitIntervalMs: 100,
    maxBatchSize: 500,
    checkpointIntervalMs: 1_000,
    rollingViewsMs: [60_000],
  };
  const topic = uniqueName('bench-telemetry-live');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: TOPICS.telemetry.partitions }] });
  await admin.disconnect();

  const agent = uniqueName('bench-live-agent');
  const ratePerSec = 2_000;
  // Pre-generate the stream on a clock starting at 0; each event is sent when wall time reaches its offset.
  const trailingMs = 2 * windowMs; // streamed after the measured windows (see the header)
  // Cut by event time, not by count (a count also holds session and feedback events, so it would end the stream early).
  const spanMs = seconds * 1000 + trailingMs + windowMs;
  const generated = telemetry(agent, Math.ceil((ratePerSec * spanMs * 1.3) / 1000), ratePerSec * 0.95, 0, 7);
  const plan = generated.filter((event) => Date.parse(event.occurredAt) - Date.parse(generated[0].occurredAt) <= spanMs);

  // Snapshot arrivals on the metrics topic (only this agent's).
  const arrivals = new Map<number, number>();
  const follower = kafka.consumer({ groupId: uniqueName('bench-snapshots'), maxWaitTimeInMs: 50 });
  await follower.connect();
  await follower.subscribe({ topic: TOPICS.metrics.name, fromBeginning: false });
  let followerJoined!: () => void;
  const joined = new Promise<void>((resolve) => (followerJoined = resolve));
  follower.on(follower.events.GROUP_JOIN, () => followerJoined());
  await follower.run({
    eachMessage: async ({ message }) => {
      const receivedAt = Date.now();
      const event = decodeMessage(message.value);
      if (event.type !== 'metrics.snapshot' || event.data.agent !== agent) return;
      const windowEnd = Date.parse(event.data.windowEnd);
      if (!arrivals.has(windowEnd)) arrivals.set(windowEnd, receivedAt);
    },
  });
  await joined;

  const bus = new KafkaMessageBus({ connection: { brokers, clientId: uniqueName('bench-live') }, logger: silentLogger, consumer: { maxWaitTimeMs: 100, ...busConsumer } });
  const metrics = new AggregatorMetrics();
  const logger = quietLogger();
  const store = new PartitionStore(dataSource, settings.consumerGroup, topic);
  const eventStore = new PostgresEventStore(dataSource);
  const emitter = new SnapshotEmitter(dataSource, store, eventStore, settings, metrics, logger, true);
  const aggregator = new TelemetryAggregator(bus, store, settings, metrics, logger, Date.now, { topic, onWindowsCheckpointed: () => emitter.wake() });
  const publisher = new EventLogPublisher(dataSource, eventStore, bus, logger, { singleInstance: true, relayId: uniqueName('bench-relay') });
  try {
    await aggregator.start();
    emitter.start();
    publisher.start();

    log(`streaming ~${ratePerSec} events/s for ${seconds} s (window ${windowMs} ms, lateness ${allowedLatenessMs} ms)…`);
    const firstOffset = Date.parse(plan[0].occurredAt);
    const streamStart = Date.now() + 200;
    const sendEvery = 20;
    let index = 0;
    let firstWindowEnd = Infinity;
    let lastWindowEnd = -Infinity;
    const measuredUntil = streamStart + seconds * 1000;
    while (index < plan.length) {
      const now = Date.now();
      const due: Array<{ key: string; value: Buffer }> = [];
      while (index < plan.length && streamStart + (Date.parse(plan[index].occurredAt) - firstOffset) <= now) {
        // Event time = wall time at send (the clock the agent would use).
        const event = { ...plan[index], occurredAt: new Date(now).toISOString() } as IrisEvent;
        due.push({ key: keyFor(event), value: encodeMessage(event) });
        index++;
      }
      if (due.length) {
        firstWindowEnd = Math.min(firstWindowEnd, Math.floor(now / windowMs) * windowMs + windowMs);
        if (now < measuredUntil) lastWindowEnd = Math.floor(now / windowMs) * windowMs + windowMs;
        void producer.send({ topic, acks: -1, messages: due });
      }
      await new Promise((r) => setTimeout(r, sendEvery));
    }
    // Wait for the last measured window to be emitted.
    const deadline = Date.now() + 15_000;
    while (!arrivals.has(lastWindowEnd) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    const perWindow: Array<{ windowEndMs: number; delayMs: number }> = [];
    for (const [windowEnd, receivedAt] of [...arrivals].sort(([a], [b]) => a - b)) {
      if (windowEnd < firstWindowEnd || windowEnd > lastWindowEnd) continue;
      perWindow.push({ windowEndMs: windowEnd - firstWindowEnd, delayMs: receivedAt - (windowEnd + allowedLatenessMs) });
    }
    const latencies = perWindow.map((w) => w.delayMs).sort((a, b) => a - b);
    const expectedWindows = (lastWindowEnd - firstWindowEnd) / windowMs + 1;
    if (latencies.length < expectedWindows) log(`only ${latencies.length} of ${expectedWindows} windows were emitted in time`);
    const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? NaN;
    return { seconds, events: plan.length, windows: latencies.length, p50Ms: pick(0.5), p99Ms: pick(0.99), maxMs: latencies[latencies.length - 1] ?? NaN, perWindow };
  } finally {
    await aggregator.stop();
    await emitter.stop();
    await publisher.stop();
    await follower.disconnect();
    await bus.close();
  }
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : Math.round((sorted[middle - 1]! + sorted[middle]!) / 2);
}

function printResult(result: MetricsAggregatorBenchResult): void {
  const t = result.throughput;
  console.log(`telemetry events: ${t.events}, partitions: ${t.partitions}, ~${t.messageBytes} bytes each, event-time rate ${t.eventRatePerSec}/s`);
  for (const raw of t.rawConfigurations)
    console.log(`raw kafkajs, ${raw.name.padEnd(36)} median ${String(raw.medianEventsPerSecond).padStart(9)} events/s (rounds ${raw.eventsPerSecond.join(' / ')})`);
  console.log(
    `TelemetryAggregator${' '.repeat(31)} median ${String(t.aggregator.eventsPerSecond).padStart(9)} events/s (rounds ${t.aggregator.roundsEventsPerSecond.join(' / ')}; ${t.aggregator.checkpoints} checkpoints, ~${t.aggregator.eventsPerCheckpoint} events each)`,
  );
  console.log(`ratio aggregator / best raw (${t.raw.configuration}): ${(t.ratio * 100).toFixed(1)}%   (targets: ≥ 80%, ≥ 50,000 events/s)`);
  if (result.latency) {
    const l = result.latency;
    console.log(`end-to-end latency after window close over ${l.windows} windows: p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms   (target p99 ≤ 500 ms)`);
  }
}

if (require.main === module) {
  runMetricsAggregatorBench({ log: (line) => console.error(line) })
    .then((result) => {
      printResult(result);
      process.exit(0);
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
