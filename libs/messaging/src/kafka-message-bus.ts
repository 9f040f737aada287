import {
  Admin,
  CompressionTypes,
  Consumer,
  EachBatchPayload,
  Kafka,
  KafkaMessage,
  PartitionerArgs,
  Partitioners,
  Producer,
} from 'kafkajs';
import { processPartitionBatch } from './batch-processor';
import { deadLetterTopic } from './dead-letter';
import { MessageBusClosedError, PublishError, SubscribeError } from './errors';
import { describeConnection, KafkaConnectionConfig, toKafkaJsConfig } from './kafka-config';
import { jsonLinesLogger, LogLevelName, MessagingLogger } from './logger';
import { Headers, MessageBus, OutgoingMessage, RawMessage, Subscription, SubscriptionOptions, TopicSpec } from './message-bus';
import { resolveSubscriptionOptions, ResolvedSubscriptionOptions } from './subscription-options';

export interface KafkaMessageBusOptions {
  connection: KafkaConnectionConfig;
  logger?: MessagingLogger;
  /** Least severe kafkajs log level forwarded to the logger. Default 'warn'. */
  clientLogLevel?: LogLevelName;
  /** Producer compression; default none (cheapest for small messages on a LAN). */
  compression?: 'none' | 'gzip';
  /** Replication factor for topics created by ensureTopics; default: the broker's default. */
  replicationFactor?: number;
  consumer?: {
    sessionTimeoutMs?: number;
    heartbeatIntervalMs?: number;
    /** Partitions of one consumer processed concurrently (order stays per partition). Default 1. */
    partitionsConsumedConcurrently?: number;
    maxBytesPerPartition?: number;
    /** Longest broker-side wait of an empty fetch; also bounds how long stop() waits. Default 1000 ms. */
    maxWaitTimeMs?: number;
    /** How long subscribe() waits for the group join before resolving anyway. Default 30 s. */
    joinTimeoutMs?: number;
  };
}

/**
 * MessageBus on Kafka (kafkajs): idempotent producer with acks=all and awaited sends; consumers with
 * manual commits after processing, shared retry / dead-letter semantics (see batch-processor).
 */
export class KafkaMessageBus implements MessageBus {
  private readonly kafka: Kafka;
  private readonly logger: MessagingLogger;
  private readonly compression: CompressionTypes;
  private readonly subscriptions = new Set<Subscription>();
  private readonly knownTopics = new Set<string>();
  private producer?: Promise<Producer>;
  private admin?: Promise<Admin>;
  private closed = false;

  constructor(private readonly options: KafkaMessageBusOptions) {
    this.logger = options.logger ?? jsonLinesLogger({ component: 'messaging.kafka' });
    this.kafka = new Kafka(toKafkaJsConfig(options.connection, this.logger, options.clientLogLevel ?? 'warn'));
    this.compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    this.logger.log('debug', 'kafka message bus created', describeConnection(options.connection));
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.assertOpen();
    if (messages.length === 0) return;
    const producer = await this.connectedProducer();
    try {
      await producer.send({ topic, messages: messages as KafkaOutgoing[], acks: -1, compression: this.compression });
    } catch (error) {
      throw new PublishError(`publish to ${topic} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async subscribe<T>(options: SubscriptionOptions<T>): Promise<Subscription> {
    this.assertOpen();
    const resolved = resolveSubscriptionOptions(options);
    await this.ensureTopics(resolved.topics.map((topic) => ({ topic: deadLetterTopic(topic) })));
    const subscription = new KafkaSubscription(this.kafka, resolved, this.options, this.logger, {
      deadLetter: (topic, letters) => this.publish(topic, letters),
      onStopped: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      await subscription.stop().catch(() => undefined);
      throw new SubscribeError(`subscribe to ${resolved.topics.join(',')} failed: ${(error as Error).message}`, { cause: error });
    }
    return subscription;
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    this.assertOpen();
    const wanted = topics.filter((spec) => !this.knownTopics.has(spec.topic));
    if (wanted.length === 0) return;
    const admin = await this.connectedAdmin();
    // Only create what is missing: the broker's TOPIC_ALREADY_EXISTS answer would be logged as an error by kafkajs.
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: spec.topic,
          numPartitions: spec.partitions ?? -1,
          replicationFactor: this.options.replicationFactor ?? -1,
          configEntries: spec.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        })),
      });
    }
    for (const spec of wanted) this.knownTopics.add(spec.topic);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    const producer = this.producer;
    const admin = this.admin;
    await Promise.all([
      producer?.then((p) => p.disconnect()).catch(() => undefined),
      admin?.then((a) => a.disconnect()).catch(() => undefined),
    ]);
  }

  private connectedProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true, // requires acks=all and one in-flight request per broker (KIP-98)
        maxInFlightRequests: 1,
        createPartitioner: keyCachingDefaultPartitioner,
        allowAutoTopicCreation: true,
      });
      await producer.connect();
      return producer;
    })().catch((error) => {
      this.producer = undefined;
      throw error;
    });
    return this.producer;
  }

  private connectedAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error) => {
      this.admin = undefined;
      throw error;
    });
    return this.admin;
  }

  private assertOpen(): void {
    if (this.closed) throw new MessageBusClosedError('the Kafka message bus is closed');
  }
}

/** Distinct string keys per topic whose partition is remembered (then that cache starts over). */
const PARTITIONER_CACHE_KEYS = 10_000;

/**
 * kafkajs's DefaultPartitioner (Java client compatible), remembering the partition of recent string keys per
 * topic and partition count: a busy producer sends the same keys (e.g. session ids) over and over, and the
 * stock partitioner re-hashes each one with a Long-based murmur2 (and filters the partition list) per message
 * (~2 µs). A keyed message's partition depends only on its key and the topic's partition count, so the
 * result is the same; keyless messages and explicit partitions go to the stock partitioner.
 */
export function keyCachingDefaultPartitioner(): (args: PartitionerArgs) => number {
  const stock = Partitioners.DefaultPartitioner();
  const caches = new Map<string, { partitions: number; byKey: Map<string, number> }>();
  return (args) => {
    const { topic, message, partitionMetadata } = args;
    const key = message.key;
    if (typeof key !== 'string' || (message.partition !== null && message.partition !== undefined)) return stock(args);
    let cache = caches.get(topic);
    if (!cache || cache.partitions !== partitionMetadata.length) {
      cache = { partitions: partitionMetadata.length, byKey: new Map() };
      caches.set(topic, cache);
    }
    let partition = cache.byKey.get(key);
    if (partition === undefined) {
      if (cache.byKey.size >= PARTITIONER_CACHE_KEYS) cache.byKey.clear();
      partition = stock(args);
      cache.byKey.set(key, partition);
    }
    return partition;
  };
}

type KafkaOutgoing = { key: string | Buffer | null; value: string | Buffer | null; headers?: Headers };

interface SubscriptionHooks {
  deadLetter(topic: string, letters: OutgoingMessage[]): Promise<void>;
  onStopped(): void;
}

class KafkaSubscription<T> implements Subscription {
  private readonly consumer: Consumer;
  private stopping?: Promise<void>;

  constructor(
    kafka: Kafka,
    private readonly options: ResolvedSubscriptionOptions<T>,
    private readonly busOptions: KafkaMessageBusOptions,
    private readonly logger: MessagingLogger,
    private readonly hooks: SubscriptionHooks,
  ) {
    const tuning = busOptions.consumer ?? {};
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: tuning.sessionTimeoutMs,
      heartbeatInterval: tuning.heartbeatIntervalMs,
      maxBytesPerPartition: tuning.maxBytesPerPartition,
      maxWaitTimeInMs: tuning.maxWaitTimeMs ?? 1000,
    });
  }

  async start(): Promise<void> {
    const joined = this.waitForGroupJoin(this.busOptions.consumer?.joinTimeoutMs ?? 30_000);
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) =>
      this.logger.log('error', 'consumer crashed', { groupId: this.options.groupId, restart: payload.restart, error: payload.error }),
    );
    const onAssignment = this.options.onAssignment;
    if (onAssignment) {
      this.consumer.on(this.consumer.events.REBALANCING, () => onAssignment({ kind: 'rebalancing' }));
      this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) =>
        onAssignment({
          kind: 'assigned',
          partitions: Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition }))),
        }),
      );
    }
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.busOptions.consumer?.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
    await joined;
  }

  stop(): Promise<void> {
    // kafkajs disconnect waits for the in-flight eachBatch (which commits what it processed), then leaves the group.
    this.stopping ??= this.consumer.disconnect().finally(() => this.hooks.onStopped());
    return this.stopping;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const topic = batch.topic;
    const partition = batch.partition;
    let processedUpTo: string | undefined;
    let committedUpTo: string | undefined;
    const commit = async () => {
      if (processedUpTo === undefined || processedUpTo === committedUpTo) return;
      const next = (BigInt(processedUpTo) + 1n).toString();
      await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] });
      committedUpTo = processedUpTo;
    };
    try {
      const raw = batch.messages.map((message) => toRawMessage(topic, partition, message, batch.highWatermark));
      await processPartitionBatch(raw, this.options, {
        deadLetter: (source, letters) => this.hooks.deadLetter(deadLetterTopic(source), letters),
        markProcessed: (lastOffset) => {
          processedUpTo = lastOffset;
          payload.resolveOffset(lastOffset);
        },
        heartbeat: () => payload.heartbeat(),
        shouldStop: () => !payload.isRunning() || payload.isStale(),
        logger: this.logger,
      });
      await commit();
    } catch (error) {
      // Keep what was processed (fewer redeliveries), then let kafkajs retry / rejoin.
      await commit().catch(() => undefined);
      throw error;
    }
  }

  private waitForGroupJoin(timeoutMs: number): Promise<void> {
    return new Promise((done) => {
      const timer = setTimeout(() => {
        removeListener();
        this.logger.log('warn', 'group join not confirmed in time; continuing', { groupId: this.options.groupId, timeoutMs });
        done();
      }, timeoutMs);
      const removeListener = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        removeListener();
        done();
      });
    });
  }
}

function toRawMessage(topic: string, partition: number, message: KafkaMessage, highWatermark: string): RawMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ?? null,
    value: message.value ?? null,
    headers: toHeaders(message.headers),
    timestamp: message.timestamp,
    highWatermark,
  };
}

const NO_HEADERS: Headers = Object.freeze({}) as Headers;

function toHeaders(headers: KafkaMessage['headers']): Headers {
  if (!headers) return NO_HEADERS;
  let out: Headers | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    out ??= {};
    out[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return out ?? NO_HEADERS;
}
