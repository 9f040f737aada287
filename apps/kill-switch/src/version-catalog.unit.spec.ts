import { embeddedEndOffsets } from '@iris/agent-sdk';
import { encodeMessage, exampleOf, keyFor, TOPICS } from '@iris/contracts';
import { EmbeddedMessageBus, silentLogger } from '@iris/messaging';
import { JsonLogger } from '@iris/observability';
import { VersionCatalog } from './version-catalog';

describe('VersionCatalog following iris.registry.v1', () => {
  it('catches up when the last record of a partition is one the contracts refuse (skipped, not waited for)', async () => {
    const bus = new EmbeddedMessageBus({ logger: silentLogger, defaultPartitions: 1 });
    await bus.ensureTopics([{ topic: TOPICS.registry.name, partitions: 1 }]);
    const registered = exampleOf('registry.version.registered');
    const wrongType = exampleOf('agent.session.started'); // valid, but not carried by the registry topic
    await bus.publish(TOPICS.registry.name, [
      { key: keyFor(registered), value: encodeMessage(registered) },
      { key: 'x', value: 'not json' },
      { key: 'x', value: encodeMessage(wrongType) },
    ]);
    const warnings: string[] = [];
    const logger = new JsonLogger('kill-switch', 'warn', (line) => void warnings.push(line));
    const catalog = new VersionCatalog();
    try {
      await catalog.follow(bus, logger, embeddedEndOffsets(bus));
      const deadline = Date.now() + 5_000;
      while (!catalog.caughtUp && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(catalog.caughtUp).toBe(true);
      expect(catalog.has(registered.data.agent, registered.data.versionId)).toBe(true);
      expect(warnings.filter((line) => line.includes('skipped a registration record'))).toHaveLength(2);
    } finally {
      await catalog.stop();
      await bus.close();
    }
  });
});
