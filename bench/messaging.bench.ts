/**
 * Throughput of KafkaMessageBus against raw kafkajs, same broker, same run, fresh topics of equal partition count.
 * Run: npx ts-node --transpile-only bench/messaging.bench.ts   (env: KAFKA_BROKERS, BENCH_MESSAGES, BENCH_PARTITIONS)
 * Without KAFKA_BROKERS a local broker is started and stopped (startKafkaBroker).
 */
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { KafkaMessageBus, OutgoingMessage, silentLogger } from '../libs/messaging/src';
import { startKafkaBroker, uniqueName } from '../libs/testing/src';

export interface Throughput {
  messagesPerSecond: number;
  seconds: number;
}

export interface MessagingBenchResult {
  messages: number;
  partitions: number;
  messageBytes: number;
  consumeRounds: number;
  raw: { produce: Throughput; consume: Throughput };
  messaging: { produce: Throughput; consume: Throughput };
  /** messaging / raw throughput (1 = as fast as raw kafkajs). */
  ratio: { produce: number; consume: number };
}

export interface MessagingBenchOptions {
  brokers?: string;
  messages?: number;
  partitions?: number;
  publishBatchSize?: number;
  /** Consumption rounds per implementation (median reported). Default 3 (env BENCH_ROUNDS). */
  consumeRounds?: number;
  log?: (line: string) => void;
}

interface BenchEvent {
  id: string;
  seq: number;
  kind: string;
  payload: string;
}

const PAYLOAD = 'x'.repeat(32);

function benchMessage(seq: number): OutgoingMessage & { value: string } {
  const event: BenchEvent = { id: `evt-${seq.toString(36).padStart(8, '0')}`, seq, kind: 'agent.version.observed', payload: PAYLOAD };
  return { key: `agent-${seq % 1024}`, value: JSON.stringify(event) };
}

function batchOf(start: number, size: number): Array<OutgoingMessage & { value: string }> {
  return Array.from({ length: size }, (_, i) => benchMessage(start + i));
}

export async function runMessagingBench(options: MessagingBenchOptions = {}): Promise<MessagingBenchResult> {
  const total = options.messages ?? Number(process.env.BENCH_MESSAGES ?? 1_000_000);
  const partitions = options.partitions ?? Number(process.env.BENCH_PARTITIONS ?? 4);
  const batchSize = options.publishBatchSize ?? 1000;
  const rounds = options.consumeRounds ?? Number(process.env.BENCH_ROUNDS ?? 3);
  const log = options.log ?? (() => undefined);

  const startedBroker = options.brokers ?? process.env.KAFKA_BROKERS ? undefined : await startKafkaBroker({ log });
  const brokers = (options.brokers ?? process.env.KAFKA_BROKERS ?? startedBroker!.brokers).split(',');
  const kafka = new Kafka({ clientId: uniqueName('bench-raw'), brokers, logLevel: logLevel.NOTHING });
  const bus = new KafkaMessageBus({ connection: { brokers, clientId: uniqueName('bench-bus') }, logger: silentLogger });
  const rawTopic = uniqueName('bench-raw');
  const busTopic = uniqueName('bench-bus');
  const warmUpTopic = uniqueName('bench-warm-up');

  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [rawTopic, busTopic, warmUpTopic].map((topic) => ({ topic, numPartitions: partitions })) });
    await admin.disconnect();

    // Produce phases are interleaved batch by batch so both see the same load on a shared machine.
    log(`producing ${total} messages (raw kafkajs and KafkaMessageBus, interleaved)…`);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // Warm-up outside the timings: connections, metadata and the idempotent producer id.
    await producer.send({ topic: warmUpTopic, messages: [benchMessage(0)] });
    await bus.publish(warmUpTopic, [benchMessage(0)]);
    let rawSeconds = 0;
    let busSeconds = 0;
    for (let sent = 0; sent < total; sent += batchSize) {
      const messages = batchOf(sent, Math.min(batchSize, total - sent));
      rawSeconds += await secondsOf(() => producer.send({ topic: rawTopic, acks: -1, messages }));
      busSeconds += await secondsOf(() => bus.publish(busTopic, messages));
    }
    await producer.disconnect();
    const rawProduce = throughput(total, rawSeconds);
    const busProduce = throughput(total, busSeconds);

    // Consumption is measured in alternating rounds (fresh group each time) and the median kept, to damp noise.
    const rawRounds: Throughput[] = [];
    const busRounds: Throughput[] = [];
    for (let round = 1; round <= rounds; round++) {
      const consumeRawRound = async () => {
        log(`consuming, round ${round}/${rounds} (raw kafkajs)…`);
        rawRounds.push(await consumeRaw(kafka, rawTopic, total));
      };
      const consumeBusRound = async () => {
        log(`consuming, round ${round}/${rounds} (KafkaMessageBus)…`);
        busRounds.push(await consumeWithBus(bus, busTopic, total));
      };
      // Alternate who goes first, so neither side always runs on a warmer JIT / page cache.
      if (round % 2 === 1) await consumeRawRound().then(consumeBusRound);
      else await consumeBusRound().then(consumeRawRound);
    }
    const rawConsume = median(rawRounds);
    const busConsume = median(busRounds);

    return {
      messages: total,
      partitions,
      messageBytes: Buffer.byteLength(benchMessage(total - 1).value),
      consumeRounds: rounds,
      raw: { produce: rawProduce, consume: rawConsume },
      messaging: { produce: busProduce, consume: busConsume },
      ratio: {
        produce: round(busProduce.messagesPerSecond / rawProduce.messagesPerSecond, 3),
        consume: round(busConsume.messagesPerSecond / rawConsume.messagesPerSecond, 3),
      },
    };
  } finally {
    await bus.close();
    await startedBroker?.stop();
  }
}

function consumeRaw(kafka: Kafka, topic: string, total: number): Promise<Throughput> {
  return untilCount(total, async (count) => {
    const consumer = kafka.consumer({ groupId: uniqueName('bench-raw') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch, heartbeat }) => {
        for (const message of batch.messages) {
          const event = JSON.parse(message.value!.toString()) as BenchEvent;
          if (event.seq >= 0) count();
        }
        await heartbeat();
      },
    });
    return () => consumer.disconnect();
  });
}

function consumeWithBus(bus: KafkaMessageBus, topic: string, total: number): Promise<Throughput> {
  return untilCount(total, async (count) => {
    const subscription = await bus.subscribe<BenchEvent>({
      topic,
      groupId: uniqueName('bench-bus'),
      fromBeginning: true,
      decode: (raw) => JSON.parse(raw.value!.toString()) as BenchEvent,
      handleBatch: async (events) => {
        for (const event of events) if (event.value.seq >= 0) count();
      },
    });
    return () => subscription.stop();
  });
}

function median(rounds: Throughput[]): Throughput {
  return [...rounds].sort((a, b) => a.messagesPerSecond - b.messagesPerSecond)[Math.floor(rounds.length / 2)];
}

async function secondsOf(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function throughput(messages: number, seconds: number): Throughput {
  return { messagesPerSecond: Math.round(messages / seconds), seconds: round(seconds, 2) };
}

/** Times a consumer from its start until `total` messages were counted; then stops it (stop time excluded). */
async function untilCount(total: number, start: (count: () => void) => Promise<() => Promise<void>>): Promise<Throughput> {
  let seen = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const started = process.hrtime.bigint();
  const stop = await start(() => {
    if (++seen === total) done();
  });
  await finished;
  const result = throughput(total, Number(process.hrtime.bigint() - started) / 1e9);
  await stop();
  return result;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function printResult(result: MessagingBenchResult): void {
  const row = (name: string, t: { produce: Throughput; consume: Throughput }) =>
    `${name.padEnd(16)} produce ${String(t.produce.messagesPerSecond).padStart(9)} msg/s (${t.produce.seconds} s)   consume ${String(t.consume.messagesPerSecond).padStart(9)} msg/s (${t.consume.seconds} s)`;
  console.log(`messages: ${result.messages}, partitions: ${result.partitions}, ~${result.messageBytes} bytes each, consume: median of ${result.consumeRounds} rounds`);
  console.log(row('raw kafkajs', result.raw));
  console.log(row('KafkaMessageBus', result.messaging));
  console.log(`ratio messaging/raw: produce ${(result.ratio.produce * 100).toFixed(1)}%, consume ${(result.ratio.consume * 100).toFixed(1)}%`);
}

if (require.main === module) {
  runMessagingBench({ log: (line) => console.error(line) })
    .then((result) => {
      printResult(result);
      process.exit(0);
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
