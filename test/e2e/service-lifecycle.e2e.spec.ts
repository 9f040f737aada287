import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { createEvent, decodeMessage, exampleOf, TOPICS } from '@iris/contracts';
import { createEventStoreDataSource, PostgresEventStore } from '@iris/event-store';
import { toNewEvent } from '@iris/runtime';
import { createFreshDatabase, dropDatabase, uniqueName } from '@iris/testing';
import { freePort, getJson, spawnService, ServiceProcess } from '../support/service-process';

const adminUrl = () => process.env.IRIS_ADMIN_DATABASE_URL!;


function serviceEnv(databaseUrl: string, port: number): NodeJS.ProcessEnv {
  return {
    IRIS_MODE: 'kafka',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    IRIS_AUTH_TOKENS: 'ci:admin:ci-admin-token-0123456789',
  };
}

describe('a service process on real Kafka and PostgreSQL', () => {
  let databaseUrl: string;
  const running: ServiceProcess[] = [];

  beforeAll(async () => {
    databaseUrl = await createFreshDatabase(adminUrl(), 'iris_e2e');
  });

  afterAll(async () => {
    for (const service of running) if (service.child.exitCode === null) service.child.kill('SIGKILL');
    await dropDatabase(databaseUrl, adminUrl());
  });

  it('stops start-up with a message naming a bad variable', async () => {
    const service = spawnService('registry', { ...serviceEnv(databaseUrl, 0), KAFKA_BROKERS: 'not-a-broker' });
    running.push(service);
    expect(await service.exited).toBe(78);
    expect(service.lines.join('\n')).toMatch(/KAFKA_BROKERS/);
  });

  it.each([
    ['rollout-controller', 'ROLLOUT_TICK_INTERVAL_MS', 'fast'],
    ['metrics-aggregator', 'METRICS_ROLLING_VIEWS', '7s'],
    ['metrics-aggregator', 'IRIS_AGGREGATOR_MAX_CLOCK_SKEW_MS', '5m'],
  ] as const)('stops start-up of the %s with 78 naming its own bad setting %s', async (name, variable, value) => {
    const service = spawnService(name, { ...serviceEnv(databaseUrl, 0), [variable]: value });
    running.push(service);
    expect(await service.exited).toBe(78);
    expect(service.lines.join('\n')).toContain(`"variable":"${variable}"`);
  });

  it('boots, reports ready, logs JSON without secrets, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const service = spawnService('rollout-controller', serviceEnv(databaseUrl, port));
    running.push(service);
    await service.waitForLine((line) => line.includes('"listening"'));

    expect((await getJson(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    const ready = await getJson(`http://127.0.0.1:${port}/health/ready`);
    expect(ready).toEqual({ status: 200, body: { ready: true, checks: { database: { ok: true }, kafka: { ok: true }, consumers: { ok: true }, outbox: { ok: true } } } });
    const config = await fetch(`http://127.0.0.1:${port}/v1/config`, { headers: { authorization: 'Bearer ci-admin-token-0123456789' } });
    expect(await config.json()).toMatchObject({ rolloutController: { consumerGroup: 'iris-rollout-controller', tickIntervalMs: 5_000, requireRegisteredVersions: true, routingPropagationAllowanceMs: 500 } });

    for (const line of service.lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(service.lines.join('\n')).not.toContain('ci-admin-token-0123456789');

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.lines.some((line) => line.includes('stopped cleanly'))).toBe(true);
  });

  it('stops cleanly on a SIGTERM that arrives while it is still starting', async () => {
    const service = spawnService('registry', serviceEnv(databaseUrl, await freePort()));
    running.push(service);
    await service.waitForLine((line) => line.includes('"starting"'));
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  it('publishes events that committed while no publisher ran (outbox: died between commit and publish)', async () => {
    // Commit events to the log with no service running, as if the writer died before publishing.
    const dataSource = createEventStoreDataSource({ url: databaseUrl });
    await dataSource.initialize();
    const store = new PostgresEventStore(dataSource);
    const agent = uniqueName('agent');
    const example = exampleOf('registry.version.registered');
    const events = Array.from({ length: 5 }, () => createEvent('registry.version.registered', { ...example.data, agent, versionId: randomUUID() } as never));
    await store.appendToStream(`agent-${agent}`, events.map((event) => toNewEvent(event, { actor: 'e2e' })), { expectedVersion: 'no_stream' });
    await dataSource.destroy();

    const kafka = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueName('e2e') });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.registry.name, fromBeginning: true });
    const seen = new Set<string>();
    const allSeen = new Promise<void>((done) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const event = decodeMessage(message.value);
          if (event.type === 'registry.version.registered' && event.data.agent === agent) seen.add(event.eventId);
          if (seen.size === events.length) done();
        },
      });
    });

    // A service starts after the "crash": its publisher relays what the log holds.
    const port = await freePort();
    const service = spawnService('registry', serviceEnv(databaseUrl, port));
    running.push(service);
    await allSeen;
    await consumer.disconnect();
    expect([...seen].sort()).toEqual(events.map((event) => event.eventId).sort());

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });
});
