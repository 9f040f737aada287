import { Kafka } from 'kafkajs';
import type { DataSource, MigrationInterface } from 'typeorm';
import { DLQ_MAX_MESSAGE_BYTES, TOPIC_LIST, dlqTopic } from '@iris/contracts';
import type { IrisConfig } from '@iris/config';
import { createEventStoreDataSource, migrateEventStore, PostgresEventStore } from '@iris/event-store';
import { ConsumerHealth, EmbeddedMessageBus, KafkaConnectionConfig, KafkaMessageBus, KafkaMessageBusOptions, MessageBus, MessagingLogger, toKafkaJsConfig } from '@iris/messaging';
import type { JsonLogger, ReadinessCheck } from '@iris/observability';
import { EventLogPublisher } from './event-log-publisher';

/** What every service shares: the message bus, the event log, readiness checks, and the log → Kafka publisher. */
export interface Infrastructure {
  bus: MessageBus;
  /** What the bus's consumers go through: outages waited out (readiness check `consumers`), dead letters. */
  consumerHealth: ConsumerHealth;
  dataSource: DataSource;
  eventStore: PostgresEventStore;
  publisher: EventLogPublisher;
  readinessChecks: ReadinessCheck[];
  close(): Promise<void>;
}

function messagingLogger(logger: JsonLogger): MessagingLogger {
  return { log: (level, message, fields) => logger.write(level, message, { component: 'messaging', ...fields }) };
}

export function kafkaConnection(config: IrisConfig): KafkaConnectionConfig {
  const kafka = config.kafka!;
  return {
    brokers: kafka.brokers,
    clientId: kafka.clientId,
    ssl: kafka.ssl ? { ca: kafka.ssl.ca, rejectUnauthorized: kafka.ssl.rejectUnauthorized } : false,
    sasl: kafka.sasl,
  };
}

/** Creates every topic of the contracts (and their dead-letter topics) if missing. */
export async function ensureIrisTopics(bus: MessageBus): Promise<void> {
  await bus.ensureTopics(
    TOPIC_LIST.flatMap((topic) => [
      { topic: topic.name, partitions: topic.partitions, compacted: topic.compacted, ...(topic.retainedForever && { retentionMs: -1 }) },
      // Set explicitly: a dead letter (truncated to fit, see toDeadLetter) must always be writable.
      { topic: dlqTopic(topic.name), partitions: 1, maxMessageBytes: DLQ_MAX_MESSAGE_BYTES },
    ]),
  );
}

function databaseCheck(dataSource: DataSource): ReadinessCheck {
  return { name: 'database', check: async () => void (await dataSource.query('SELECT 1')) };
}

/** Kafka is ready when the cluster answers a metadata request. */
function kafkaCheck(config: IrisConfig, logger: MessagingLogger): { check: ReadinessCheck; close: () => Promise<void> } {
  const admin = new Kafka(toKafkaJsConfig(kafkaConnection(config), logger, 'error')).admin();
  let connected: Promise<void> | undefined;
  return {
    check: {
      name: 'kafka',
      check: async () => {
        connected ??= admin.connect().catch((error: unknown) => {
          connected = undefined;
          throw error;
        });
        await connected;
        await admin.describeCluster();
      },
    },
    close: () => admin.disconnect(),
  };
}

/** Connects to Kafka + PostgreSQL (`kafka` mode) or builds the in-process bus + PGlite (`embedded` mode). */
export interface InfrastructureOptions {
  /** Migrations of the services using this infrastructure (see ServiceDefinition.migrations). */
  migrations?: Array<new () => MigrationInterface>;
  /** Consumer tuning of the Kafka bus (kafka mode); session / heartbeat come from the config. */
  kafkaConsumer?: KafkaConsumerTuning;
}

export type KafkaConsumerTuning = Pick<NonNullable<KafkaMessageBusOptions['consumer']>, 'partitionsConsumedConcurrently' | 'maxBytesPerPartition' | 'maxWaitTimeMs'>;

export async function createInfrastructure(config: IrisConfig, logger: JsonLogger, options: InfrastructureOptions = {}): Promise<Infrastructure> {
  const busLogger = messagingLogger(logger);
  const embedded = config.mode === 'embedded';
  const dataSource = embedded
    ? createEventStoreDataSource({ embedded: true, dataDir: config.embeddedDataDir, extraMigrations: options.migrations, migrationsRun: false })
    : createEventStoreDataSource({
        url: config.database!.url,
        ssl: config.database!.ssl ? { ca: config.database!.ssl.ca, rejectUnauthorized: config.database!.ssl.rejectUnauthorized } : undefined,
        poolSize: config.database!.poolSize,
        extraMigrations: options.migrations,
        migrationsRun: false,
      });
  await dataSource.initialize();
  await migrateEventStore(dataSource);
  const eventStore = new PostgresEventStore(dataSource);

  const closers: Array<() => Promise<void>> = [];
  const consumerHealth = new ConsumerHealth(busLogger);
  // Not ready while a consumer waits out a retriable failure (a dependency is down): the reason is in the report.
  const readinessChecks: ReadinessCheck[] = [databaseCheck(dataSource), { name: 'consumers', check: async () => consumerHealth.assertNotStalled() }];
  let bus: MessageBus;
  if (embedded) {
    bus = new EmbeddedMessageBus({ health: consumerHealth });
    readinessChecks.push({ name: 'bus', check: async () => undefined });
  } else {
    bus = new KafkaMessageBus({
      connection: kafkaConnection(config),
      logger: busLogger,
      health: consumerHealth,
      consumer: { ...options.kafkaConsumer, sessionTimeoutMs: config.kafka!.sessionTimeoutMs, heartbeatIntervalMs: Math.floor(config.kafka!.sessionTimeoutMs / 10) },
    });
    const kafka = kafkaCheck(config, busLogger);
    readinessChecks.push(kafka.check);
    closers.push(kafka.close);
  }
  await ensureIrisTopics(bus);

  const publisher = new EventLogPublisher(dataSource, eventStore, bus, logger, { singleInstance: embedded }).start();
  // Not ready while the outbox relay cannot publish the log (the broker or the database is down): the reason is in the report.
  readinessChecks.push({ name: 'outbox', check: async () => publisher.assertPublishing() });
  return {
    bus,
    consumerHealth,
    dataSource,
    eventStore,
    publisher,
    readinessChecks,
    async close() {
      await publisher.stop();
      await bus.close();
      for (const close of closers) await close().catch(() => undefined);
      await dataSource.destroy();
    },
  };
}
