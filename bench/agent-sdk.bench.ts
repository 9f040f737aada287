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

export interface AgentSdkBenchResult {
  recordRequest: { calls: number; callsPerBatch: number; medianNs: number; p99Ns: number; meanNs: number };
  endToEnd: { events: number; seconds: number; eventsPerSecond: number; maxBatchSize: number; partitions: number; droppedOverflow: number };
  /** Same broker, same run: raw kafkajs (idempotent, acks=all) sending pre-encoded batches — the ceiling on this machine. */
  rawKafkajsBaseline: { events: number; eventsPerSecond: number; batchSize: number };
}

export interface AgentSdkBenchOptions {
  brokers?: string;
  calls?: number;
  events?: number;
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

/** (a) ns per recordRequest call, measured over batches of calls (hrtime around each batch). */
export async function measureRecordCost(calls = 1_000_000, callsPerBatch = 1_000): Promise<AgentSdkBenchResult['recordRequest']> {
  const client = new IrisAgentClient({ agent: 'bench-agent', versionId: 'v1', transport: acceptingBus, logger: silentAgentLogger });
  const inputs = requestInputs(1024);
  const perCallNs: number[] = [];
  const warmup = 100_000;
  for (let i = 0; i < warmup; i++) client.recordRequest(inputs[i & 1023]);
  await new Promise((done) => setTimeout(done, 100));
  for (let done = 0; done < calls; done += callsPerBatch) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < callsPerBatch; i++) client.recordRequest(inputs[(done + i) & 1023]);
    perCallNs.push(Number(process.hrtime.bigint() - start) / callsPerBatch);
    // let the flusher run between batches, as it would between an agent's requests
    if (perCallNs.length % 10 === 0) await new Promise((next) => setImmediate(next));
  }
  await client.close();
  perCallNs.sort((a, b) => a - b);
  return {
    calls,
    callsPerBatch,
    medianNs: round(perCallNs[Math.floor(perCallNs.length / 2)]),
    p99Ns: round(perCallNs[Math.floor(perCallNs.length * 0.99)]),
    meanNs: round(perCallNs.reduce((s, v) => s + v, 0) / perCallNs.length),
  };
}

/** (b) events/s from the first record call until every event is acknowledged by the broker. */
export async function measureEndToEnd(brokers: string, events = 300_000, maxBatchSize: number = CLIENT_DEFAULTS.maxBatchSize): Promise<AgentSdkBenchResult['endToEnd']> {
  const topic = uniqueName('bench-telemetry'); // not iris.telemetry.v1: keep bench load away from real consumers
  const partitions = TOPICS.telemetry.partitions;
  const admin = new Kafka({ clientId: uniqueName('bench-admin'), brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();

  const maxBufferedEvents = 50_000;
  const client = IrisAgentClient.forKafka({ brokers, agent: 'bench-agent', versionId: 'v1', topic, maxBufferedEvents, maxBatchSize, logger: silentAgentLogger });
  const inputs = requestInputs(4096);
  client.recordRequest(inputs[0]); // connect the producer outside the measurement
  while (client.stats().published < 1) await sleep(10);

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
  const stats = client.stats();
  await client.close();
  return {
    events,
    seconds: round(seconds),
    eventsPerSecond: Math.round(events / seconds),
    maxBatchSize,
    partitions,
    droppedOverflow: stats.droppedOverflow,
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
  log(`recordRequest: median ${recordRequest.medianNs} ns/call, p99 ${recordRequest.p99Ns} ns/call`);
  const started = options.brokers ?? process.env.KAFKA_BROKERS ? undefined : await startKafkaBroker({ log });
  const brokers = options.brokers ?? process.env.KAFKA_BROKERS ?? started!.brokers;
  try {
    log(`publishing to ${brokers}…`);
    const endToEnd = await measureEndToEnd(brokers, options.events ?? Number(process.env.BENCH_EVENTS ?? 300_000),
      options.maxBatchSize ?? Number(process.env.BENCH_BATCH ?? CLIENT_DEFAULTS.maxBatchSize),
    );
    log(`SDK: ${endToEnd.eventsPerSecond} events/s; raw kafkajs baseline…`);
    const rawKafkajsBaseline = await measureRawKafkajs(brokers, endToEnd.events, endToEnd.maxBatchSize);
    return { recordRequest, endToEnd, rawKafkajsBaseline };
  } finally {
    await started?.stop();
  }
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
