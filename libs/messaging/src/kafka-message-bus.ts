import {
  Admin,
  CompressionTypes,
  ConfigResourceTypes,
  Consumer,
  EachBatchPayload,
  Kafka,
  KafkaMessage,
  Producer,
} from 'kafkajs';
import { processPartitionBatch } from './batch-processor';
import { ConsumerHealth } from './consumer-health';
import { DEAD_LETTER_TOPIC_MAX_MESSAGE_BYTES, deadLetterTopic } from './dead-letter';
import { MessageBusClosedError, PublishError, SubscribeError } from './errors';
import { describeConnection, KafkaConnectionConfig, toKafkaJsConfig, toWorkerKafkaConfig } from './kafka-config';
import { keyCachingDefaultPartitioner, PARTITIONER_CACHE_KEYS } from './key-caching-partitioner';
import { WorkerProducer } from './worker-producer';
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
  /**
   * Run the producer in a worker thread (WorkerProducer): publish() then costs the caller's thread a copy of
   * the messages, not the building of produce requests. For high-volume publishers on a busy thread (the agent
   * SDK). The connection settings must be plain data (no functions in `ssl`). Default false.
   */
  publishFromWorkerThread?: boolean;
  /** Where the consumers report outages they wait out and dead letters (readiness, metrics). Default: one of its own. */
  health?: ConsumerHealth;
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
  private readonly workerProducer?: WorkerProducer;
  private admin?: Promise<Admin>;
  private closed = false;
  readonly health: ConsumerHealth;

  constructor(private readonly options: KafkaMessageBusOptions) {
    this.logger = options.logger ?? jsonLinesLogger({ component: 'messaging.kafka' });
    this.health = options.health ?? new ConsumerHealth(this.logger);
    this.kafka = new Kafka(toKafkaJsConfig(options.connection, this.logger, options.clientLogLevel ?? 'warn'));
    this.compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    if (options.publishFromWorkerThread) {
      this.workerProducer = new WorkerProducer(toWorkerKafkaConfig(options.connection, options.clientLogLevel ?? 'warn', PARTITIONER_CACHE_KEYS), this.logger);
    }
    this.logger.log('debug', 'kafka message bus created', { ...describeConnection(options.connection), producerThread: this.workerProducer ? 'worker' : 'caller' });
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.assertOpen();
    if (messages.length === 0) return;
    if (this.workerProducer) {
      // Handed to the thread now, before the first await: the caller can prepare its next batch meanwhile.
      return this.workerProducer.send(topic, messages, this.compression).catch((error: Error) => {
        throw new PublishError(`publish to ${topic} failed: ${error.message}`, { cause: error });
      });
    }
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
    await this.ensureTopics(resolved.topics.map((topic) => ({ topic: deadLetterTopic(topic), maxMessageBytes: DEAD_LETTER_TOPIC_MAX_MESSAGE_BYTES })));
    const subscription = new KafkaSubscription(this.kafka, resolved, this.options, this.logger, this.health, {
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
          configEntries: [
            ...(spec.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
            ...(spec.retentionMs !== undefined ? [{ name: 'retention.ms', value: String(spec.retentionMs) }] : []),
            ...(spec.maxMessageBytes !== undefined ? [{ name: 'max.message.bytes', value: String(spec.maxMessageBytes) }] : []),
          ],
        })),
      });
    }
    await this.warnOnShorterRetention(admin, wanted.filter((spec) => existing.has(spec.topic) && spec.retentionMs !== undefined));
    for (const spec of wanted) this.knownTopics.add(spec.topic);
  }

  /** A topic that existed already keeps its settings; one that deletes sooner than wanted is reported (not altered). */
  private async warnOnShorterRetention(admin: Admin, specs: TopicSpec[]): Promise<void> {
    if (specs.length === 0) return;
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: specs.map((spec) => ({ type: ConfigResourceTypes.TOPIC, name: spec.topic, configNames: ['retention.ms'] })),
      });
      for (const resource of described.resources) {
        const wanted = specs.find((spec) => spec.topic === resource.resourceName)!.retentionMs!;
        const actual = Number(resource.configEntries.find((entry) => entry.configName === 'retention.ms')?.configValue);
        if (Number.isFinite(actual) && actual !== wanted && (wanted < 0 || (actual >= 0 && actual < wanted))) {
          this.logger.log('warn', 'topic deletes records sooner than Iris needs; set retention.ms on it', {
            topic: resource.resourceName,
            retentionMs: actual,
            wantedRetentionMs: wanted,
          });
        }
      }
    } catch (error) {
      this.logger.log('debug', 'could not read topic retention', { error: (error as Error).message });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    const producer = this.producer;
    const admin = this.admin;
    await Promise.all([
      producer?.then((p) => p.disconnect()).catch(() => undefined),
      this.workerProducer?.close().catch(() => undefined),
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

type KafkaOutgoing = { key: string | Buffer | null; value: string | Buffer | null; headers?: Headers };

interface SubscriptionHooks {
  deadLetter(topic: string, letters: OutgoingMessage[]): Promise<void>;
  onStopped(): void;
}

/** Per topic-partition: the next offset handled, and the offset last committed by this member. */
interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  handled?: bigint;
  committed?: bigint;
}

class KafkaSubscription<T> implements Subscription {
  private readonly consumer: Consumer;
  private stopping?: Promise<void>;
  /** Set by stop(): batches fetched from now on are left for the next owner. */
  private closing = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly progress = new Map<string, PartitionProgress>();
  /** Partitions of the latest assignment (undefined before the first, empty while rebalancing). */
  private assigned?: Set<string>;

  constructor(
    kafka: Kafka,
    private readonly options: ResolvedSubscriptionOptions<T>,
    private readonly busOptions: KafkaMessageBusOptions,
    private readonly logger: MessagingLogger,
    private readonly health: ConsumerHealth,
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
    this.consumer.on(this.consumer.events.REBALANCING, () => {
      this.assigned = new Set();
      onAssignment?.({ kind: 'rebalancing' });
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = Object.entries(payload.memberAssignment).flatMap(([topic, list]) => list.map((partition) => ({ topic, partition })));
      this.assigned = new Set(partitions.map(({ topic, partition }) => progressKey(topic, partition)));
      for (const key of this.progress.keys()) if (!this.assigned.has(key)) this.progress.delete(key);
      onAssignment?.({ kind: 'assigned', partitions });
    });
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
    this.stopping ??= (async () => {
      this.closing = true;
      await Promise.allSettled([...this.inFlight]); // the batch being handled finishes and commits
      // Progress made durable since the last batch (committableOffset) is committed before leaving the group.
      if (this.options.committableOffset) await this.commitDurableProgress().catch((error: unknown) => this.logger.log('warn', 'final commit failed', { error }));
      await this.consumer.disconnect(); // stops fetching and leaves the group
    })().finally(() => this.hooks.onStopped());
    return this.stopping;
  }

  resumeFrom(topic: string, partition: number, offset: string): void {
    if (this.closing) return;
    this.consumer.seek({ topic, partition, offset }); // applied at the next fetch: it wins over offsets resolved meanwhile
    const progress = this.progress.get(progressKey(topic, partition));
    if (progress?.handled !== undefined && BigInt(offset) < progress.handled) progress.handled = BigInt(offset);
  }

  private onBatch(payload: EachBatchPayload): Promise<void> {
    if (this.closing || payload.batch.messages.length === 0) return Promise.resolve();
    const work = this.handleBatch(payload);
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const topic = batch.topic;
    const partition = batch.partition;
    const progress = this.progressOf(topic, partition);
    const commit = () => this.commit(progress, (offset) => payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset }] }] }));
    try {
      const raw = batch.messages.map((message) => toRawMessage(topic, partition, message, batch.highWatermark));
      await processPartitionBatch(raw, this.options, {
        deadLetter: (source, letters) => this.hooks.deadLetter(deadLetterTopic(source), letters),
        markProcessed: (lastOffset) => {
          if (payload.isStale()) return; // sought meanwhile (resumeFrom): these come again
          progress.handled = BigInt(lastOffset) + 1n;
          payload.resolveOffset(lastOffset);
        },
        heartbeat: () => payload.heartbeat(),
        shouldStop: () => this.closing || !payload.isRunning() || payload.isStale(),
        seek: (offset) => this.resumeFrom(topic, partition, offset),
        health: this.health,
        logger: this.logger,
      });
      await commit();
    } catch (error) {
      // Keep what was processed (fewer redeliveries), then let kafkajs retry / rejoin.
      await commit().catch(() => undefined);
      throw error;
    }
  }

  /** Commits what was handled — at most up to the durable offset when the handler keeps its own (committableOffset). */
  private async commit(progress: PartitionProgress, send: (offset: string) => Promise<void>): Promise<void> {
    let next = progress.handled;
    if (next === undefined) return;
    const committable = this.options.committableOffset;
    if (committable) {
      const durable = committable(progress.topic, progress.partition);
      if (durable === undefined) return;
      if (BigInt(durable) < next) next = BigInt(durable);
    }
    if (next === progress.committed) return;
    await send(next.toString());
    progress.committed = next;
  }

  private async commitDurableProgress(): Promise<void> {
    for (const [key, progress] of this.progress) {
      if (this.assigned && !this.assigned.has(key)) continue;
      await this.commit(progress, (offset) => this.consumer.commitOffsets([{ topic: progress.topic, partition: progress.partition, offset }]));
    }
  }

  private progressOf(topic: string, partition: number): PartitionProgress {
    const key = progressKey(topic, partition);
    let progress = this.progress.get(key);
    if (!progress) this.progress.set(key, (progress = { topic, partition }));
    return progress;
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

function progressKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
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
