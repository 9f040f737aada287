import { uniqueName } from '@iris/testing';
import { Kafka, logLevel } from 'kafkajs';
import { PublishError } from './errors';
import { KafkaMessageBus } from './kafka-message-bus';
import { MessagingLogger, silentLogger } from './logger';
import { describeMessageBusContract } from './testing/message-bus-contract';
import { WorkerConfigNotCloneableError, WorkerProducer } from './worker-producer';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

jest.setTimeout(120_000); // the project-level testTimeout in jest.config.js is not applied to hooks

describeMessageBusContract(
  'KafkaMessageBus',
  () => new KafkaMessageBus({ connection: { brokers, clientId: uniqueName('iris-contract') }, logger: silentLogger }),
  { timeoutMs: 60_000 },
);

describeMessageBusContract(
  'KafkaMessageBus publishing from a worker thread',
  () => new KafkaMessageBus({ connection: { brokers, clientId: uniqueName('iris-contract-w') }, logger: silentLogger, publishFromWorkerThread: true }),
  { timeoutMs: 60_000 },
);

describe('KafkaMessageBus topics', () => {
  it('creates a topic with the retention asked for, and reports an existing one that deletes sooner', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const logger: MessagingLogger = { log: (level, message, fields) => void (level === 'warn' && warnings.push({ message, ...fields })) };
    const admin = new Kafka({ clientId: uniqueName('admin'), brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const retentionOf = async (topic: string) => {
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2 /* TOPIC */, name: topic, configNames: ['retention.ms'] }] });
      return resources[0].configEntries.find((entry) => entry.configName === 'retention.ms')?.configValue;
    };
    const kept = uniqueName('kept-forever');
    const shortLived = uniqueName('short-lived');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: shortLived, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
    const bus = new KafkaMessageBus({ connection: { brokers, clientId: uniqueName('topics') }, logger });
    try {
      await bus.ensureTopics([
        { topic: kept, partitions: 1, retentionMs: -1 },
        { topic: shortLived, partitions: 1, retentionMs: -1 },
      ]);
      expect(await retentionOf(kept)).toBe('-1');
      expect(await retentionOf(shortLived)).toBe('60000'); // left as it is…
      expect(warnings).toEqual([expect.objectContaining({ topic: shortLived, retentionMs: 60_000, wantedRetentionMs: -1 })]); // …and reported
    } finally {
      await bus.close();
      await admin.disconnect();
    }
  });
});

describe('KafkaMessageBus publishing from a worker thread', () => {
  const buses: KafkaMessageBus[] = [];
  const bus = (publishFromWorkerThread: boolean, logger: MessagingLogger = silentLogger) => {
    const created = new KafkaMessageBus({ connection: { brokers, clientId: uniqueName('iris-worker') }, logger, publishFromWorkerThread });
    buses.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  /** key → partition, and per key the values in log order. */
  async function readAll(topic: string, expected: number): Promise<{ partitionOf: Map<string, number>; valuesOf: Map<string, string[]> }> {
    const consumer = new Kafka({ clientId: uniqueName('reader'), brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('reader') });
    const partitionOf = new Map<string, number>();
    const valuesOf = new Map<string, string[]>();
    let seen = 0;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((done) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const key = message.key!.toString();
          partitionOf.set(key, partition);
          valuesOf.set(key, [...(valuesOf.get(key) ?? []), message.value!.toString()]);
          if (++seen === expected) done();
        },
      });
    });
    await consumer.disconnect();
    return { partitionOf, valuesOf };
  }

  it('puts every key on the same partition as the caller-thread producer, in order per key', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `session-${i}`);
    const messages = keys.flatMap((key) => [0, 1, 2].map((n) => ({ key, value: `${key}:${n}` })));
    const placed: Array<Map<string, number>> = [];
    for (const inWorker of [false, true]) {
      const publisher = bus(inWorker);
      const topic = uniqueName('worker-parity');
      await publisher.ensureTopics([{ topic, partitions: 12 }]);
      for (let i = 0; i < messages.length; i += 100) await publisher.publish(topic, messages.slice(i, i + 100));
      const { partitionOf, valuesOf } = await readAll(topic, messages.length);
      for (const key of keys) expect(valuesOf.get(key)).toEqual([`${key}:0`, `${key}:1`, `${key}:2`]);
      placed.push(partitionOf);
    }
    expect(placed[1]).toEqual(placed[0]);
    expect(new Set(placed[1].values()).size).toBe(12);
  });

  it('sends Buffer keys and values byte for byte', async () => {
    const publisher = bus(true);
    const topic = uniqueName('worker-bytes');
    await publisher.ensureTopics([{ topic, partitions: 1 }]);
    const value = Buffer.from([0, 255, 128, 10, 0xc3]); // not UTF-8
    await publisher.publish(topic, [{ key: Buffer.from('k'), value }]);
    const consumer = new Kafka({ clientId: uniqueName('reader'), brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<Buffer>((done) => void consumer.run({ eachMessage: async ({ message }) => done(message.value!) }));
    await consumer.disconnect();
    expect(received.equals(value)).toBe(true);
  });

  it('fails a publish with PublishError when the thread dies, and starts a new thread for the next one', async () => {
    const warnings: string[] = [];
    const publisher = bus(true, { log: (level, message) => void (level === 'warn' && warnings.push(message)) });
    const topic = uniqueName('worker-restart');
    await publisher.ensureTopics([{ topic, partitions: 1 }]);
    await publisher.publish(topic, [{ key: 'k', value: 'before' }]);
    const producer = (publisher as unknown as { workerProducer: WorkerProducer }).workerProducer;
    const thread = (producer as unknown as { worker: { terminate(): Promise<number> } }).worker;
    const inFlight = publisher.publish(topic, [{ key: 'k', value: 'lost with the thread' }]);
    await thread.terminate();
    await expect(inFlight).rejects.toBeInstanceOf(PublishError);
    expect(warnings).toContain('kafka producer thread stopped; the next publish starts a new one');
    await publisher.publish(topic, [{ key: 'k', value: 'after' }]);
    const { valuesOf } = await readAll(topic, (await countOf(topic)) as number);
    expect(valuesOf.get('k')?.at(-1)).toBe('after');
  });

  it('refuses settings a thread cannot receive, naming why', () => {
    expect(
      () =>
        new KafkaMessageBus({
          connection: { brokers, clientId: 'x', ssl: { checkServerIdentity: () => undefined } },
          logger: silentLogger,
          publishFromWorkerThread: true,
        }),
    ).toThrow(WorkerConfigNotCloneableError);
  });

  async function countOf(topic: string): Promise<number> {
    const admin = new Kafka({ clientId: uniqueName('admin'), brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  }
});
