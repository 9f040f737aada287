import { dlqTopic, encodeMessage, EXAMPLES, TOPICS } from '@iris/contracts';
import { DeadLetterHeaders, KafkaMessageBus, RawMessage, silentLogger } from '@iris/messaging';
import { JsonLogger } from '@iris/observability';
import { uniqueName } from '@iris/testing';
import { VersionCatalog } from './version-catalog';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
jest.setTimeout(120_000);

const eventually = async (what: string, predicate: () => boolean, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((done) => setTimeout(done, 25));
  }
};

describe('VersionCatalog on a real broker', () => {
  it('a telemetry event published to iris.registry.v1 is dead-lettered with a reason, never taken as a registration', async () => {
    const bus = new KafkaMessageBus({ connection: { brokers, clientId: uniqueName('catalog') }, logger: silentLogger });
    const catalog = new VersionCatalog();
    const logger = new JsonLogger('test', 'error', () => undefined);
    const agent = uniqueName('phantom-agent').replace(/[^a-z0-9-]/g, '-');
    const wrong = { ...EXAMPLES['agent.request.completed'], eventId: crypto.randomUUID(), data: { ...EXAMPLES['agent.request.completed'].data, agent, versionId: 'phantom' } };
    const right = { ...EXAMPLES['registry.version.registered'], eventId: crypto.randomUUID(), data: { ...EXAMPLES['registry.version.registered'].data, agent, versionId: 'real' } };
    try {
      await bus.ensureTopics([{ topic: TOPICS.registry.name, partitions: TOPICS.registry.partitions }, { topic: dlqTopic(TOPICS.registry.name), partitions: 1 }]);
      // A plain client publishing the wrong type, keyed like the registry keys its records (same partition as `right`).
      await bus.publish(TOPICS.registry.name, [{ key: agent, value: encodeMessage(wrong) }, { key: agent, value: encodeMessage(right) }]);
      await catalog.follow(bus, logger);
      await eventually('the real registration', () => catalog.has(agent, 'real'));
      expect(catalog.has(agent, 'phantom')).toBe(false);

      const letters: RawMessage[] = [];
      const reader = await bus.subscribe<RawMessage>({
        topic: dlqTopic(TOPICS.registry.name),
        groupId: uniqueName('dlq'),
        fromBeginning: true,
        decode: (raw) => raw,
        handleBatch: async (batch) => void letters.push(...batch.map((m) => m.value).filter((raw) => raw.key?.toString() === agent)),
      });
      await eventually('the dead letter', () => letters.length === 1);
      await reader.stop();
      expect(letters[0].headers[DeadLetterHeaders.error]).toMatch(/agent\.request\.completed is not carried by iris\.registry\.v1/);
      expect(letters[0].headers[DeadLetterHeaders.errorKind]).toBe('invalid');
    } finally {
      await catalog.stop();
      await bus.close();
    }
  });
});
