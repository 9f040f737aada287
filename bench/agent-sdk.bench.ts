/**
 * Agent SDK telemetry: (a) cost of recordRequest on the agent's thread, (b) end-to-end throughput of one
 * process publishing to a real broker (every event acknowledged).
 * Run: npx ts-node --transpile-only bench/agent-sdk.bench.ts   (env: KAFKA_BROKERS, BENCH_CALLS, BENCH_EVENTS, BENCH_BATCH)
 * Without KAFKA_BROKERS a local broker is started and stopped (startKafkaBroker).
 */
import '../libs/agent-sim/src/source-aliases';
import { IrisAgentClient, RequestCompletedInput, silentAgentLogger } from '../libs/agent-sdk/src';
import { TOPICS } from '../libs/contracts/src';
import type { MessageBus } from '../libs/messaging/src';
import { startKafkaBroker, uniqueName } from '../libs/testing/src';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

export interface AgentSdkBenchResult {
  recordRequest: { calls: number; callsPerBatch: number; medianNs: number; p99Ns: number; meanNs: number };
  endToEnd: { events: number; seconds: number; eventsPerSecond: number; maxBatchSize: number; partitions: number; droppedOverflow: number };
  /** Same broker, same run: raw kafkajs (idempotent, acks=all) sending pre-encoded batches — the ceiling on this machine. */
  rawKafkajsBaseline: { events: number; eventsPerSecond: number };
}

export interface AgentSdkBenchOptions {
  brokers?: string;
  calls?: number;
  events?: number;
  /** SDK maxBatchSize for the end-to-end run. Default 500 (the SDK default). */
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
export async function measureEndToEnd(brokers: string, events = 300_000, maxBatchSize = 500): Promise<AgentSdkBenchResult['endToEnd']> {
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

/** Pre-encoded messages of the same size sent with a raw idempotent kafkajs producer, one batch at a time. */
export async function measureRawKafkajs(brokers: string, events = 300_000, batchSize = 500): Promise<AgentSdkBenchResult['rawKafkajsBaseline']> {
  const kafka = new Kafka({ clientId: uniqueName('bench-raw'), brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const topic = uniqueName('bench-raw-telemetry');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: TOPICS.telemetry.partitions }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const value = JSON.stringify({ ...requestInputs(1)[0], padding: 'x'.repeat(330) }); // ≈ an encoded telemetry event
  const messages = Array.from({ length: batchSize }, (_, i) => ({ key: `bench-session-${i % 997}`, value }));
  const start = process.hrtime.bigint();
  for (let sent = 0; sent < events; sent += batchSize) await producer.send({ topic, acks: -1, messages });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await producer.disconnect();
  return { events, eventsPerSecond: Math.round(events / seconds) };
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
      options.maxBatchSize ?? Number(process.env.BENCH_BATCH ?? 500),
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
