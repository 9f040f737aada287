import { uniqueName } from '@iris/testing';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { ConsumerHealth } from './consumer-health';
import { DeadLetterHeaders, deadLetterTopic } from './dead-letter';
import { RetriableError } from './error-classification';
import { KafkaMessageBus } from './kafka-message-bus';
import { silentLogger } from './logger';
import { DecodedMessage, RawMessage, Subscription } from './message-bus';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

jest.setTimeout(120_000);

const eventually = async (what: string, predicate: () => boolean, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((done) => setTimeout(done, 25));
  }
};

describe('KafkaMessageBus on a real broker: outages are waited out', () => {
  const buses: KafkaMessageBus[] = [];
  const subscriptions: Subscription[] = [];
  const newBus = (health = new ConsumerHealth(silentLogger)) => {
    const bus = new KafkaMessageBus({ connection: { brokers, clientId: uniqueName('iris-outage') }, logger: silentLogger, health });
    buses.push(bus);
    return bus;
  };
  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
  });

  /** Reads every record of a topic (a fresh group from the beginning) for `forMs`. */
  async function readTopic(bus: KafkaMessageBus, topic: string, forMs: number): Promise<RawMessage[]> {
    const seen: RawMessage[] = [];
    const subscription = await bus.subscribe<RawMessage>({
      topic,
      groupId: uniqueName('reader'),
      fromBeginning: true,
      decode: (raw) => raw,
      handleBatch: async (batch) => void seen.push(...batch.map((message) => message.value)),
    });
    await new Promise((done) => setTimeout(done, forMs));
    await subscription.stop();
    return seen;
  }

  it('a handler failing with retriable errors for 3 s then recovering: every message handled, none dead-lettered, readiness down then up', async () => {
    const health = new ConsumerHealth(silentLogger);
    const bus = newBus(health);
    const topic = uniqueName('outage');
    await bus.ensureTopics([{ topic, partitions: 2 }, { topic: deadLetterTopic(topic), partitions: 1 }]);
    const handled = new Set<string>();
    let downUntil = 0;
    let failures = 0;
    let sawNotReady: string | undefined;
    subscriptions.push(
      await bus.subscribe<string>({
        topic,
        groupId: uniqueName('g'),
        fromBeginning: true,
        decode: (raw) => raw.value!.toString(),
        handleBatch: async (batch: Array<DecodedMessage<string>>) => {
          if (Date.now() < downUntil) {
            failures++;
            // What pg gives when the database is unreachable.
            throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
          }
          for (const message of batch) handled.add(message.value);
        },
      }),
    );
    await bus.publish(topic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 7}`, value: `before-${i}` })));
    await eventually('the first 50 handled', () => handled.size === 50);

    downUntil = Date.now() + 3_000;
    await bus.publish(topic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 7}`, value: `during-${i}` })));
    await eventually('readiness reports the outage', () => {
      try {
        health.assertNotStalled();
        return false;
      } catch (error) {
        sawNotReady = (error as Error).message;
        return true;
      }
    });
    await eventually('all 100 handled after the outage', () => handled.size === 100);
    expect(failures).toBeGreaterThan(4); // far beyond the 3 bounded retries of unknown errors
    expect(sawNotReady).toMatch(/waiting out a retriable failure.*ECONNREFUSED/);
    expect(() => health.assertNotStalled()).not.toThrow();
    expect(health.report()).toMatchObject({ stalled: [], deadLettered: 0 });
    expect(health.report().outages).toBeGreaterThanOrEqual(1);
    expect(await readTopic(bus, deadLetterTopic(topic), 3_000)).toEqual([]);
  });

  it('stops promptly while waiting out an outage, and the next member handles what was not', async () => {
    const bus = newBus();
    const topic = uniqueName('outage-stop');
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const groupId = uniqueName('g');
    let attempts = 0;
    const failing = await bus.subscribe<string>({
      topic,
      groupId,
      fromBeginning: true,
      decode: (raw) => raw.value!.toString(),
      handleBatch: async () => {
        attempts++;
        throw new RetriableError('dependency down');
      },
    });
    await bus.publish(topic, [{ key: 'k', value: 'one' }, { key: 'k', value: 'two' }]);
    await eventually('the handler is retrying', () => attempts >= 3);
    const stopStarted = Date.now();
    await failing.stop();
    expect(Date.now() - stopStarted).toBeLessThan(5_000);

    const handled: string[] = [];
    subscriptions.push(
      await bus.subscribe<string>({ topic, groupId, fromBeginning: true, decode: (raw) => raw.value!.toString(), handleBatch: async (batch) => void handled.push(...batch.map((m) => m.value)) }),
    );
    await eventually('the records come again', () => handled.length === 2);
    expect(handled).toEqual(['one', 'two']);
  });
});

describe('KafkaMessageBus on a real broker: oversized records never stall a partition', () => {
  it('several records over 1 MiB (accepted compressed) in one batch are dead-lettered truncated, and the records after them are handled', async () => {
    const bus = new KafkaMessageBus({ connection: { brokers, clientId: uniqueName('iris-oversized') }, logger: silentLogger });
    const producer = new Kafka({ clientId: uniqueName('plain-client'), brokers, logLevel: logLevel.NOTHING }).producer();
    const topic = uniqueName('oversized');
    let subscription: Subscription | undefined;
    try {
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      await producer.connect();
      const huge = (i: number) => JSON.stringify({ type: 'agent.request.completed', padding: `${i}`.repeat(1) + 'x'.repeat(3 * 1024 * 1024) });
      // What a plain Kafka client can do: gzip makes 3 x 3 MiB pass the broker's 1 MiB limit in one batch.
      await producer.send({ topic, compression: CompressionTypes.GZIP, messages: [0, 1, 2].map((i) => ({ key: 'same', value: huge(i), headers: { origin: 'plain' } })) });
      await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ key: 'same', value: `good-${i}` })) });
      const handled: string[] = [];
      subscription = await bus.subscribe<string>({
        topic,
        groupId: uniqueName('g'),
        fromBeginning: true,
        decode: (raw) => {
          if (raw.value!.length > 1_048_576) throw new Error(`is ${raw.value!.length} bytes, over the 1048576-byte limit`);
          return raw.value!.toString();
        },
        handleBatch: async (batch) => void handled.push(...batch.map((m) => m.value)),
      });
      await eventually('the 20 good records after the oversized ones', () => handled.length === 20);
      expect(handled).toEqual(Array.from({ length: 20 }, (_, i) => `good-${i}`));

      const letters: RawMessage[] = [];
      const reader = await bus.subscribe<RawMessage>({ topic: deadLetterTopic(topic), groupId: uniqueName('dlq'), fromBeginning: true, decode: (raw) => raw, handleBatch: async (b) => void letters.push(...b.map((m) => m.value)) });
      await eventually('3 dead letters', () => letters.length === 3);
      await reader.stop();
      for (const [i, letter] of letters.entries()) {
        expect(letter.key!.toString()).toBe('same');
        expect(letter.headers).toMatchObject({ origin: 'plain', [DeadLetterHeaders.sourceOffset]: String(i), [DeadLetterHeaders.originalSize]: String(Buffer.byteLength(huge(i))) });
        expect(letter.headers[DeadLetterHeaders.originalDigest]).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(letter.value!.length).toBeLessThan(1_000_000);
        expect(huge(i).startsWith(letter.value!.toString())).toBe(true);
      }
      expect(bus.health.report().deadLettered).toBe(3);
    } finally {
      await subscription?.stop();
      await producer.disconnect();
      await bus.close();
    }
  });
});
