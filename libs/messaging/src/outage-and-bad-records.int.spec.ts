import { uniqueName } from '@iris/testing';
import { ConsumerHealth } from './consumer-health';
import { deadLetterTopic } from './dead-letter';
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
