/**
 * shadow comparator on a real broker and PostgreSQL, same run, same records, same consumer settings:
 * (1) raw kafkajs: eachBatch, JSON.parse of every record, `partitionsConsumedConcurrently` and `maxBytesPerPartition`
 *     as the service's bus uses them (SHADOW_COMPARATOR_KAFKA_CONSUMER);
 * (2) one ShadowConsumer (pairing, comparison, checkpoints of state + tallies + comparisons in PostgreSQL every 1 s);
 * (3) two ShadowConsumers in one consumer group (two buses, one process: the broker splits the partitions).
 * The stream is pair-dense: every request is mirrored to one candidate and 30 % are re-run on the baseline (noise), so
 * every record is parsed and paired (the comparator skips records that mention no shadow run without parsing them:
 * real telemetry, mostly unmirrored, is cheaper). Figures are pairs per second (raw: the same pairs' records).
 * Also (4), no broker: the agent-thread cost of client.shadow() dispatching one shadow run (route() apart).
 * Run: npm run bench -- shadow (env: KAFKA_BROKERS, DATABASE_URL = admin URL, BENCH_SHADOW_REQUESTS)
 */
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createEvent, encodeMessage, keyFor, TOPICS, type IrisEvent } from '../libs/contracts/src';
import { createEventStoreDataSource } from '../libs/event-store/src';
import { KafkaMessageBus, silentLogger } from '../libs/messaging/src';
import { JsonLogger } from '../libs/observability/src';
import { createFreshDatabase, DEFAULT_DATABASE_URL, dropDatabase, startKafkaBroker, uniqueName } from '../libs/testing/src';
import type { ShadowComparatorSettings } from '../libs/config/src';
import { IrisAgentClient } from '../libs/agent-sdk/src';
import { route } from '../libs/agent-sdk/src/routing/route';
import { RecordingBus } from '../libs/agent-sdk/src/testing/recording-bus';
import { routingDecision, version } from '../libs/agent-sdk/src/testing/routing-tables';
import { ComparisonStore } from '../apps/shadow-comparator/src/comparison-store';
import { NormalisedTokenScorer } from '../apps/shadow-comparator/src/domain';
import { ShadowComparatorTables1765100000000 as ShadowTables } from '../apps/shadow-comparator/src/migrations/1765100000000-shadow-comparator-tables';
import { SHADOW_COMPARATOR_KAFKA_CONSUMER } from '../apps/shadow-comparator/src/shadow-comparator.service';
import { ShadowConsumer } from '../apps/shadow-comparator/src/shadow-consumer';
import { ShadowMetrics } from '../apps/shadow-comparator/src/shadow-metrics';

export interface ShadowComparatorBenchResult {
  requests: number;
  records: number;
  pairs: number;
  raw: { pairsPerSecond: number; recordsPerSecond: number; seconds: number };
  oneInstance: { pairsPerSecond: number; seconds: number; checkpoints: number };
  twoInstances: { pairsPerSecond: number; seconds: number; pairsCompared: number };
  /** oneInstance ÷ raw (same records, same consumer settings, same run). */
  ratio: number;
  dispatch: { medianNs: number; p99Ns: number; timerNs: number };
  /** serve() latency of a 5 ms primary, alternately with and without a shadow run taking 10× as long (50 ms). */
  primaryLatency: { requests: number; withShadowMedianMs: number; withoutShadowMedianMs: number; withShadowP90Ms: number; withoutShadowP90Ms: number };
}

const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;
const quietLogger = () => new JsonLogger('bench-shadow', 'error', () => undefined);

function settings(consumerGroup: string): ShadowComparatorSettings {
  return {
    consumerGroup,
    windowMs: 60_000,
    pairTimeoutMs: 60_000,
    idleAfterMs: 2_000,
    checkpointIntervalMs: 1_000,
    maxBatchSize: 500,
    reportIntervalMs: 1_000,
    retentionMs: 7 * 24 * 3_600_000,
    maxStoredOutputChars: 4_096,
    storeComparisons: 'divergent',
    gate: { minPairs: 30, alpha: 0.01, toleratedExcess: 0.02, maxCostIncreasePct: 20, maxLatencyIncreasePct: 50, minLatencyIncreaseMs: 100, maxShadowFailureRate: 0.05, failOnNewTools: true, failOnRemovedTools: true },
  };
}

/** Primary, candidate shadow and (30 %) noise rerun records of `requests` requests, in event-time order. */
function pairDenseStream(requests: number): { events: IrisEvent[]; pairs: number } {
  const agent = uniqueName('bench-shadow-agent');
  const startMs = Date.now() - requests;
  const events: IrisEvent[] = [];
  let pairs = 0;
  for (let n = 0; n < requests; n++) {
    const noise = n % 10 < 3;
    const common = { agent, sessionId: `s${n % 5_000}`, requestId: `r${n}`, tenant: 'acme', feature: 'refunds', tokensIn: 100, tokensOut: 40, error: null, policyViolations: [] };
    const tools = [
      { name: 'lookup_order', argsHash: `sha256:${n}`, ok: true, latencyMs: 12 },
      { name: 'issue_refund', argsHash: `sha256:r${n}`, ok: true, latencyMs: 30 },
    ];
    const at = new Date(startMs + n);
    events.push(
      createEvent('agent.request.completed', {
        ...common,
        versionId: 'v1',
        role: 'primary',
        latencyMs: 800,
        costUsd: 0.01,
        toolCalls: tools,
        outputDigest: `sha256:out-${n}`,
        shadowsDispatched: [{ versionId: 'v2', noise: false }, ...(noise ? [{ versionId: 'v1', noise: true }] : [])],
      }, { occurredAt: at }),
      createEvent('agent.request.completed', {
        ...common,
        versionId: 'v2',
        role: 'shadow',
        latencyMs: 820,
        costUsd: 0.011,
        toolCalls: n % 7 === 0 ? [...tools].reverse() : tools,
        outputDigest: n % 5 === 0 ? `sha256:alt-${n}` : `sha256:out-${n}`,
        shadow: { primaryVersionId: 'v1', noise: false, stubbedToolCalls: 1 },
      }, { occurredAt: new Date(at.getTime() + 1) }),
    );
    pairs++;
    if (noise) {
      events.push(
        createEvent('agent.request.completed', {
          ...common,
          versionId: 'v1',
          role: 'shadow',
          latencyMs: 790,
          costUsd: 0.01,
          toolCalls: tools,
          outputDigest: n % 6 === 0 ? `sha256:alt-${n}` : `sha256:out-${n}`,
          shadow: { primaryVersionId: 'v1', noise: true, stubbedToolCalls: 1 },
        }, { occurredAt: new Date(at.getTime() + 2) }),
      );
      pairs++;
    }
  }
  return { events, pairs };
}

export async function runShadowComparatorBench(options: { brokers?: string; adminDatabaseUrl?: string; requests?: number; log?: (line: string) => void } = {}): Promise<ShadowComparatorBenchResult> {
  const requests = options.requests ?? Number(process.env.BENCH_SHADOW_REQUESTS ?? 100_000);
  const log = options.log ?? (() => undefined);
  const adminUrl = options.adminDatabaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const startedBroker = options.brokers ?? process.env.KAFKA_BROKERS ? undefined : await startKafkaBroker({ log });
  const brokers = (options.brokers ?? process.env.KAFKA_BROKERS ?? startedBroker!.brokers).split(',');
  const kafka = new Kafka({ clientId: uniqueName('bench-shadow-raw'), brokers, logLevel: logLevel.NOTHING });
  const databaseUrl = await createFreshDatabase(adminUrl, 'iris_bench_shadow');
  const dataSource = createEventStoreDataSource({ url: databaseUrl, extraMigrations: [ShadowTables], poolSize: 10 });
  const topic = uniqueName('bench-shadow-telemetry');
  try {
    await dataSource.initialize();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: TOPICS.telemetry.partitions }] });
    await admin.disconnect();

    log(`generating and publishing ${requests} mirrored requests…`);
    const { events, pairs } = pairDenseStream(requests);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const messages = events.map((event) => ({ key: keyFor(event), value: encodeMessage(event) }));
    for (let i = 0; i < messages.length; i += 2_000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2_000) });
    await producer.disconnect();

    log('raw kafkajs (JSON.parse, same consumer settings)…');
    const raw = await consumeRaw(kafka, topic, messages.length);
    log(`raw: ${round(messages.length / raw)} records/s`);
    log('one ShadowConsumer…');
    const one = await consumeWithComparators(brokers, dataSource, topic, pairs, 1);
    log(`one instance: ${round(pairs / one.seconds)} pairs/s`);
    log('two ShadowConsumers in one group…');
    const two = await consumeWithComparators(brokers, dataSource, topic, pairs, 2);
    log(`two instances: ${round(pairs / two.seconds)} pairs/s`);
    const dispatch = measureDispatch();
    const primaryLatency = await measurePrimaryLatency();
    log(`primary latency with a 10× slower shadow: median ${primaryLatency.withShadowMedianMs} ms (without: ${primaryLatency.withoutShadowMedianMs} ms)`);
    return {
      requests,
      records: messages.length,
      pairs,
      raw: { pairsPerSecond: round(pairs / raw), recordsPerSecond: round(messages.length / raw), seconds: round(raw, 2) },
      oneInstance: { pairsPerSecond: round(pairs / one.seconds), seconds: round(one.seconds, 2), checkpoints: one.checkpoints },
      twoInstances: { pairsPerSecond: round(pairs / two.seconds), seconds: round(two.seconds, 2), pairsCompared: two.pairsCompared },
      ratio: round(raw / one.seconds, 3),
      dispatch,
      primaryLatency,
    };
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await dropDatabase(databaseUrl, adminUrl).catch(() => undefined);
    await startedBroker?.stop();
  }
}

/** Seconds for a raw kafkajs consumer, with the comparator bus's consumer settings, to JSON.parse `total` records. */
async function consumeRaw(kafka: Kafka, topic: string, total: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: uniqueName('bench-shadow-raw'), maxBytesPerPartition: SHADOW_COMPARATOR_KAFKA_CONSUMER.maxBytesPerPartition, maxWaitTimeInMs: 1_000 });
  let seen = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const started = process.hrtime.bigint();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: SHADOW_COMPARATOR_KAFKA_CONSUMER.partitionsConsumedConcurrently,
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
  return seconds;
}

async function consumeWithComparators(brokers: string[], dataSource: import('typeorm').DataSource, topic: string, pairs: number, instances: number) {
  const group = uniqueName('bench-shadow');
  const members = Array.from({ length: instances }, () => {
    const bus = new KafkaMessageBus({ connection: { brokers, clientId: uniqueName('bench-shadow') }, logger: silentLogger, consumer: { ...SHADOW_COMPARATOR_KAFKA_CONSUMER } });
    const metrics = new ShadowMetrics();
    const consumer = new ShadowConsumer(bus, new ComparisonStore(dataSource, group, topic), settings(group), metrics, quietLogger(), Date.now, { topic, scorer: new NormalisedTokenScorer() });
    return { bus, metrics, consumer };
  });
  const compared = () => members.reduce((sum, m) => sum + m.metrics.pairsCompared, 0);
  try {
    const started = process.hrtime.bigint();
    await Promise.all(members.map((m) => m.consumer.start()));
    while (compared() < pairs) await new Promise((r) => setTimeout(r, 5));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { seconds, checkpoints: members.reduce((sum, m) => sum + m.metrics.checkpoints, 0), pairsCompared: compared() };
  } finally {
    for (const m of members) {
      await m.consumer.stop();
      await m.bus.close();
    }
  }
}

/** client.shadow() on the agent's thread: one shadow run dispatched (not run: the handler starts on a later turn). */
function measureDispatch(): ShadowComparatorBenchResult['dispatch'] {
  const client = new IrisAgentClient({ agent: 'bench', versionId: 'v1', transport: new RecordingBus(), logger: { log: () => undefined }, shadow: { noiseSampleRate: 0, maxInFlight: 1_000_000 } });
  const table = routingDecision('bench', 1, { versions: [version('v1', 1)], shadowTargets: [{ versionId: 'v2', sampleRate: 1 }] });
  const decision = route(table, { agent: 'bench', sessionId: 's' }, Date.now());
  const handler = () => ({ output: 'x' });
  const samples: number[] = [];
  const timer: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const t0 = process.hrtime.bigint();
    client.shadow({ sessionId: 's', requestId: `r${i}`, tenant: 't', feature: 'f', input: i, decision }, handler);
    const t1 = process.hrtime.bigint();
    const t2 = process.hrtime.bigint();
    samples.push(Number(t1 - t0));
    timer.push(Number(t2 - t1));
  }
  void client.close({ timeoutMs: 10 });
  const sorted = samples.slice(5_000).sort((a, b) => a - b);
  const sortedTimer = timer.slice(5_000).sort((a, b) => a - b);
  return { medianNs: sorted[Math.floor(sorted.length / 2)]!, p99Ns: sorted[Math.floor(sorted.length * 0.99)]!, timerNs: sortedTimer[Math.floor(sortedTimer.length / 2)]! };
}

/** A primary taking 5 ms, served alternately with and without a shadow run of the same handler taking 50 ms. */
async function measurePrimaryLatency(requests = 300): Promise<ShadowComparatorBenchResult['primaryLatency']> {
  const client = new IrisAgentClient({ agent: 'bench', versionId: 'v1', transport: new RecordingBus(), logger: { log: () => undefined }, shadow: { noiseSampleRate: 0, timeoutMs: 1_000 } });
  const shadowed = routingDecision('bench', 1, { versions: [version('v1', 1)], shadowTargets: [{ versionId: 'v2', sampleRate: 1 }] });
  const plain = routingDecision('bench', 1, { versions: [version('v1', 1)] });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const handler = async (_input: number, ctx: { role: string }) => {
    await sleep(ctx.role === 'shadow' ? 50 : 5);
    return { output: 'x' };
  };
  const withShadow: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < requests; i++) {
    for (const [table, into] of [[shadowed, withShadow], [plain, without]] as const) {
      const decision = route(table, { agent: 'bench', sessionId: `s${i}` }, Date.now());
      const t0 = performance.now();
      await client.serve({ sessionId: `s${i}`, requestId: `r${i}-${into.length}`, tenant: 't', feature: 'f', input: i, decision }, handler);
      into.push(performance.now() - t0);
    }
  }
  await client.close({ timeoutMs: 2_000 });
  const pick = (values: number[], q: number) => round([...values].sort((a, b) => a - b)[Math.floor(values.length * q)]!, 2);
  return { requests, withShadowMedianMs: pick(withShadow, 0.5), withoutShadowMedianMs: pick(without, 0.5), withShadowP90Ms: pick(withShadow, 0.9), withoutShadowP90Ms: pick(without, 0.9) };
}

if (require.main === module) {
  runShadowComparatorBench({ log: (line) => process.stdout.write(`${line}\n`) }).then(
    (result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
      process.exit(1);
    },
  );
}
