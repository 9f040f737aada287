import type { DataSource } from 'typeorm';
import { decodeMessage, exampleOf, TOPICS } from '@iris/contracts';
import { createEventStoreDataSource, migrateEventStore, PostgresEventStore } from '@iris/event-store';
import { EmbeddedMessageBus, silentLogger, type OutgoingMessage } from '@iris/messaging';
import { JsonLogger } from '@iris/observability';
import { createFreshDatabase, dropDatabase, uniqueName } from '@iris/testing';
import { toNewEvent } from './contract-events';
import { EventLogPublisher } from './event-log-publisher';

/** A bus whose broker can be "down": every publish fails like a broker outage until it comes back. */
class InterruptibleBus extends EmbeddedMessageBus {
  down = false;
  override async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:9092');
    return super.publish(topic, messages);
  }
}

async function eventually(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

/** Real PostgreSQL: the outbox relay's outage shows in readiness (with the reason) while it lasts, and nothing is lost. */
describe('EventLogPublisher readiness', () => {
  const adminUrl = process.env.IRIS_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL!;
  let databaseUrl: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    databaseUrl = await createFreshDatabase(adminUrl, 'iris_outbox');
    dataSource = createEventStoreDataSource({ url: databaseUrl, migrationsRun: false });
    await dataSource.initialize();
    await migrateEventStore(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await dropDatabase(databaseUrl, adminUrl);
  });

  it('is not ready while publishing fails, names the error, and is ready again once the event went out', async () => {
    const bus = new InterruptibleBus({ logger: silentLogger });
    const store = new PostgresEventStore(dataSource);
    const publisher = new EventLogPublisher(dataSource, store, bus, new JsonLogger('test', 'error', () => undefined), { singleInstance: true, pollIntervalMs: 10 });
    const delivered: string[] = [];
    const subscription = await bus.subscribe({
      groupId: uniqueName('outbox-reader'),
      topic: TOPICS.registry.name,
      fromBeginning: true,
      decode: (message) => decodeMessage(message.value),
      handleBatch: async (messages) => void delivered.push(...messages.map((message) => message.value.eventId)),
    });
    try {
      bus.down = true;
      publisher.start();
      expect(() => publisher.assertPublishing()).not.toThrow();
      const event = exampleOf('registry.version.registered');
      await store.appendToStream(uniqueName('registry'), [toNewEvent(event)], { expectedVersion: 'no_stream' });
      await eventually('readiness down', () => {
        try {
          publisher.assertPublishing();
          return false;
        } catch (error) {
          return /publishing the event log has failed .* ECONNREFUSED/.test((error as Error).message);
        }
      });
      bus.down = false;
      await eventually('the event published and readiness back', () => delivered.includes(event.eventId) && !throws(() => publisher.assertPublishing()));
    } finally {
      await subscription.stop();
      await publisher.stop();
      await bus.close();
    }
  });
});

function throws(run: () => void): boolean {
  try {
    run();
    return false;
  } catch {
    return true;
  }
}
