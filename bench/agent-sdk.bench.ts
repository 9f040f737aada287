/**
 * Agent SDK telemetry: (a) cost of recordRequest on the agent's thread, (b) end-to-end throughput of one
 * process publishing to a real broker (every event acknowledged).
 * Run: npx ts-node --transpile-only bench/agent-sdk.bench.ts   (env: KAFKA_BROKERS, BENCH_CALLS, BENCH_EVENTS, BENCH_BATCH)
 * Without KAFKA_BROKERS a local broker is started and stopped (startKafkaBroker).
 */
import '../libs/agent-sim/src/source-aliases';
import { CLIENT_DEFAULTS, IrisAgentClient, RequestCompletedInput, silentAgentLogger } from '../libs/agent-sdk/src';
import { encodeTelemetryRecord } from '../libs/agent-sdk/src/telemetry-encoder';
import * as flusher from '../libs/agent-sdk/src/telemetry-flusher';
import { PendingRecord } from '../libs/agent-sdk/src/telemetry-input';
import { EventIdGenerator } from '../libs/agent-sdk/src/event-id';
import { TOPICS } from '../libs/contracts/src';
import type { MessageBus } from '../libs/messaging/src';
import { startKafkaBroker, uniqueName } from '../libs/testing/src';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

export interface AgentSdkBenchResult {
  /** Single calls: median and p99 (each includes one timing, `timerNs`); mean over batches of calls. */
  recordRequest: { calls: number; callsPerBatch: number; medianNs: number; p99Ns: number; timerNs: number; meanNs: number };
  endToEnd: {
    events: number;
    seconds: number;
    eventsPerSecond: number;
    maxBatchSize: number;
    partitions: number;
    droppedOverflow: number;
    publishThread: 'worker' | 'agent';
    /**
     * The agent's own thread while it records as fast as it can: share of the time it was busy, busy time per
     * event (recording + whatever publishing runs there), and how late timers fired (p99, worst): a stall delays
     * the agent's own work.
     */
    agentThread: { busyFraction: number; busyUsPerEvent: number; stallP99Ms: number; stallMaxMs: number };
  };
  /** The same run with kafkajs in the agent's thread (publishThread: 'agent'), median of its rounds. */
  agentThreadPublishing: AgentSdkBenchResult['endToEnd'];
  /** Same broker, same run: raw kafkajs (idempotent, acks=all) sending pre-encoded batches — the ceiling on this machine. */
  rawKafkajsBaseline: { events: number; eventsPerSecond: number; batchSize: number };
  /** Every measured run, in the order they ran (SDK and raw alternate; the figures above are the medians). */
  runs: Array<{ sdk: number; raw: number; sdkOnAgentThread: number }>;
}

export interface AgentSdkBenchOptions {
  brokers?: string;
  calls?: number;
  events?: number;
  /** Measured SDK / raw pairs (alternating, after one warm-up pair). Default 3. */
  rounds?: number;
  /** SDK maxBatchSize for the end-to-end run (and the raw baseline's batch size). Default: the SDK default. */
  maxBatchSize?: number;
  log?: (line: string) => void;
}

/** A transport that accepts everything at once: isolates the SDK's own cost. */
const acceptingBus: MessageBus = {
  publish: async () => undefined,
  subscribe: async () => ({ stop: async () => undefined }),
  ensureTopics: async () => undefined,
  close: async () => undefined,
};

function requestInputs(count: number): RequestCompletedInput[] {
  return Array.from({ length: count }, (_, i) => ({
    sessionId: `bench-session-${i % 997}`,
    tenant: 'acme',
    requestId: `bench-request-${i}`,
    feature: 'chat',
    latencyMs: 100 + (i % 900),
    tokensIn: 500,
    tokensOut: 200,
    costUsd: 0.01,
    toolCalls: [{ name: 'search', argsHash: 'h1', ok: true, latencyMs: 12 }],
    outputDigest: 'sha256:0f0e0d',
    scores: { accuracy: 0.9 },
  }));
}

/**
 * (a) ns per recordRequest call on the agent's thread. Median and p99 are of SINGLE calls, each timed on its own
 * (hrtime around the one call; `timerNs` is the median of the same timing around nothing, included in every
 * sample); the mean is over batches of `callsPerBatch` calls (throughput, without the timer's cost).
 */
export async function measureRecordCost(calls = 1_000_000, callsPerBatch = 1_000): Promise<AgentSdkBenchResult['recordRequest']> {
  const client = new IrisAgentClient({ agent: 'bench-agent', versionId: 'v1', transport: acceptingBus, logger: silentAgentLogger });
  const inputs = requestInputs(1024);
  const singleNs: number[] = [];
  const emptyNs: number[] = [];
  const perBatchNs: number[] = [];
  const warmup = 100_000;
  for (let i = 0; i < warmup; i++) client.recordRequest(inputs[i & 1023]);
  await new Promise((done) => setTimeout(done, 100));
  for (let done = 0; done < calls; done += callsPerBatch) {
    // a batch of single timed calls, then a batch timed as a whole
    for (let i = 0; i < callsPerBatch / 2; i++) {
      const input = inputs[(done + i) & 1023];
      const start = process.hrtime.bigint();
      client.recordRequest(input);
      const end = process.hrtime.bigint();
      singleNs.push(Number(end - start));
      const emptyStart = process.hrtime.bigint();
      emptyNs.push(Number(process.hrtime.bigint() - emptyStart));
    }
    const start = process.hrtime.bigint();
    for (let i = callsPerBatch / 2; i < callsPerBatch; i++) client.recordRequest(inputs[(done + i) & 1023]);
    perBatchNs.push(Number(process.hrtime.bigint() - start) / (callsPerBatch / 2));
    // let the flusher run between batches, as it would between an agent's requests
    if (perBatchNs.length % 10 === 0) await new Promise((next) => setImmediate(next));
  }
  await client.close();
  singleNs.sort((a, b) => a - b);
  emptyNs.sort((a, b) => a - b);
  return {
    calls,
    callsPerBatch,
    medianNs: round(singleNs[Math.floor(singleNs.length / 2)]),
    p99Ns: round(singleNs[Math.floor(singleNs.length * 0.99)]),
    timerNs: round(emptyNs[Math.floor(emptyNs.length / 2)]),
    meanNs: round(perBatchNs.reduce((s, v) => s + v, 0) / perBatchNs.length),
  };
}

/** (b) events/s from the first record call until every event is acknowledged by the broker. */
export async function measureEndToEnd(
  brokers: string,
  events = 300_000,
  maxBatchSize: number = CLIENT_DEFAULTS.maxBatchSize,
  publishThread: 'worker' | 'agent' = 'worker',
): Promise<AgentSdkBenchResult['endToEnd']> {
  const topic = uniqueName('bench-telemetry'); // not iris.telemetry.v1: keep bench load away from real consumers
  const partitions = TOPICS.telemetry.partitions;
  const admin = new Kafka({ clientId: uniqueName('bench-admin'), brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();

  const maxBufferedEvents = 50_000;
  const client = IrisAgentClient.forKafka({ brokers, agent: 'bench-agent', versionId: 'v1', topic, maxBufferedEvents, maxBatchSize, publishThread, logger: silentAgentLogger });
  const inputs = requestInputs(4096);
  client.recordRequest(inputs[0]); // connect the producer outside the measurement
  while (client.stats().published < 1) await sleep(10);

  const stalls = monitorEventLoopDelay({ resolution: 1 });
  stalls.enable();
  const busyBefore = performance.eventLoopUtilization();
  const start = process.hrtime.bigint();
  for (let recorded = 0; recorded < events; ) {
    // like a busy agent: record as fast as possible, but stay under the buffer bound (no drops to skew the figure)
    if (client.stats().buffered > maxBufferedEvents - 5_000) {
      await sleep(1);
      continue;
    }
    for (let i = 0; i < 1_000 && recorded < events; i++, recorded++) client.recordRequest(inputs[recorded & 4095]);
    await new Promise((next) => setImmediate(next));
  }
  while (client.stats().published < events + 1) await sleep(2);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const busy = performance.eventLoopUtilization(busyBefore);
  stalls.disable();
  const stats = client.stats();
  await client.close();
  return {
    events,
    seconds: round(seconds),
    eventsPerSecond: Math.round(events / seconds),
    maxBatchSize,
    partitions,
    droppedOverflow: stats.droppedOverflow,
    publishThread,
    agentThread: {
      busyFraction: Math.round(busy.utilization * 1000) / 1000,
      busyUsPerEvent: round((busy.active * 1000) / events),
      stallP99Ms: round(stalls.percentile(99) / 1e6),
      stallMaxMs: round(stalls.max / 1e6),
    },
  };
}

/**
 * The same messages the SDK sends (same inputs, encoded by the SDK's encoder ahead of time: same keys, sizes,
 * partition count), sent with a raw idempotent kafkajs producer (acks=all), one batch at a time.
 */
export async function measureRawKafkajs(brokers: string, events = 300_000, batchSize: number = CLIENT_DEFAULTS.maxBatchSize): Promise<AgentSdkBenchResult['rawKafkajsBaseline']> {
  const kafka = new Kafka({ clientId: uniqueName('bench-raw'), brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const topic = uniqueName('bench-raw-telemetry');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: TOPICS.telemetry.partitions }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const ids = new EventIdGenerator();
  const source = { agent: 'bench-agent', versionId: 'v1', environment: 'production' };
  const encoded = requestInputs(4096).map((input) => {
    const result = encodeTelemetryRecord(new PendingRecord('agent.request.completed', ids.next(), Date.now(), input), source);
    if (!result.ok) throw result.error;
    return result.message as { key: string; value: string };
  });
  // as many per send as the SDK puts in a batch (count bound, and its byte bound when it has one)
  const { messageBytes } = flusher as { messageBytes?: (m: { key: string; value: string }) => number };
  const maxBatchBytes = (CLIENT_DEFAULTS as { maxBatchBytes?: number }).maxBatchBytes;
  if (messageBytes && maxBatchBytes) batchSize = Math.min(batchSize, Math.floor(maxBatchBytes / Math.max(...encoded.map(messageBytes))));
  const batches = Array.from({ length: Math.ceil(4096 / batchSize) + 1 }, (_, b) =>
    Array.from({ length: batchSize }, (_, i) => encoded[(b * batchSize + i) & 4095]),
  );
  const start = process.hrtime.bigint();
  for (let sent = 0, b = 0; sent < events; sent += batchSize, b++) await producer.send({ topic, acks: -1, messages: batches[b % batches.length] });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await producer.disconnect();
  return { events, eventsPerSecond: Math.round(events / seconds), batchSize };
}

export async function runAgentSdkBench(options: AgentSdkBenchOptions = {}): Promise<AgentSdkBenchResult> {
  const log = options.log ?? (() => undefined);
  log('measuring recordRequest on the agent thread…');
  const recordRequest = await measureRecordCost(options.calls ?? Number(process.env.BENCH_CALLS ?? 1_000_000));
  log(`recordRequest, single calls: median ${recordRequest.medianNs} ns, p99 ${recordRequest.p99Ns} ns (timing an empty call: ${recordRequest.timerNs} ns); mean over batches ${recordRequest.meanNs} ns/call`);
  const started = options.brokers ?? process.env.KAFKA_BROKERS ? undefined : await startKafkaBroker({ log });
  const brokers = options.brokers ?? process.env.KAFKA_BROKERS ?? started!.brokers;
  try {
    const events = options.events ?? Number(process.env.BENCH_EVENTS ?? 300_000);
    const maxBatchSize = options.maxBatchSize ?? Number(process.env.BENCH_BATCH ?? CLIENT_DEFAULTS.maxBatchSize);
    const rounds = options.rounds ?? Number(process.env.BENCH_ROUNDS ?? 3);
    // A broker just started (cold JVM) slows whichever runs first: one unmeasured pair warms both sides, then
    // SDK and raw alternate so drift in the machine's load touches both; the medians are reported.
    log(`publishing to ${brokers}: warm-up…`);
    await measureEndToEnd(brokers, Math.min(events, 100_000), maxBatchSize);
    await measureRawKafkajs(brokers, Math.min(events, 100_000), maxBatchSize);
    const sdkRuns: Array<AgentSdkBenchResult['endToEnd']> = [];
    const agentThreadRuns: Array<AgentSdkBenchResult['endToEnd']> = [];
    const rawRuns: Array<AgentSdkBenchResult['rawKafkajsBaseline']> = [];
    for (let round = 0; round < rounds; round++) {
      sdkRuns.push(await measureEndToEnd(brokers, events, maxBatchSize, 'worker'));
      rawRuns.push(await measureRawKafkajs(brokers, events, maxBatchSize));
      agentThreadRuns.push(await measureEndToEnd(brokers, events, maxBatchSize, 'agent'));
      log(
        `round ${round + 1}: SDK ${sdkRuns[round].eventsPerSecond} events/s, raw kafkajs ${rawRuns[round].eventsPerSecond}, ` +
          `SDK publishing on the agent thread ${agentThreadRuns[round].eventsPerSecond}`,
      );
    }
    const runs = sdkRuns.map((sdk, i) => ({ sdk: sdk.eventsPerSecond, raw: rawRuns[i].eventsPerSecond, sdkOnAgentThread: agentThreadRuns[i].eventsPerSecond }));
    return {
      recordRequest,
      endToEnd: medianBy(sdkRuns, (r) => r.eventsPerSecond),
      rawKafkajsBaseline: medianBy(rawRuns, (r) => r.eventsPerSecond),
      agentThreadPublishing: medianBy(agentThreadRuns, (r) => r.eventsPerSecond),
      runs,
    };
  } finally {
    await started?.stop();
  }
}

function medianBy<T>(items: T[], value: (item: T) => number): T {
  return [...items].sort((a, b) => value(a) - value(b))[Math.floor(items.length / 2)];
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

if (require.main === module) {
  runAgentSdkBench({ log: (line) => console.error(line) }).then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
