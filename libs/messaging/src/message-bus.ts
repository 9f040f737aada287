/**
 * The messaging port application code depends on. Implementations: KafkaMessageBus (real Kafka)
 * and EmbeddedMessageBus (in-process, for the embedded default without Kafka).
 */

export type Headers = Record<string, string>;

export interface OutgoingMessage {
  /** Messages with the same key land in the same partition, in publish order. */
  key: string | Buffer | null;
  /** null is a tombstone (meaningful on compacted topics). */
  value: Buffer | string | null;
  headers?: Headers;
}

/** A message as stored in the log, before decoding. */
export interface RawMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  /** Milliseconds since the epoch, as a string (Kafka convention). */
  timestamp: string;
  /** Offset the next record written to the partition gets, as of this fetch (lag = highWatermark − offset − 1). */
  highWatermark?: string;
}

export interface DecodedMessage<T> {
  value: T;
  key: string | null;
  topic: string;
  partition: number;
  offset: string;
  headers: Headers;
  timestamp: string;
  /** See RawMessage.highWatermark. */
  highWatermark?: string;
}

export interface SubscriptionOptions<T> {
  /** One topic (`topic`) or several (`topics`); at least one is required. */
  topic?: string;
  topics?: readonly string[];
  groupId: string;
  /** Where a group without committed offsets starts: the beginning, or only new messages (default). */
  fromBeginning?: boolean;
  /** Validates and converts a raw message; throws on invalid input (the error message is the reason). */
  decode: (message: RawMessage) => T;
  /**
   * Handles valid messages in per-partition order (each call gets messages of one partition); throwing triggers
   * retries, then isolation and dead-lettering. May return a BatchOutcome to have part of the partition redelivered.
   */
  handleBatch: (messages: Array<DecodedMessage<T>>) => Promise<void | BatchOutcome>;
  /**
   * Retries of a failing handleBatch call before falling back / dead-lettering. Default 3. Only for errors of
   * unknown kind: a retriable error (see classifyError: connection refused, timeouts, serialization failures,
   * kafkajs `retriable`, RetriableError) is retried until it succeeds, a permanent one (PoisonMessageError,
   * contract violations) is dead-lettered at once.
   */
  maxRetries?: number;
  /** First retry delay, doubled on each further retry (capped at 30 s). Default 100 ms. */
  retryBackoffMs?: number;
  /** Longest delay between two attempts while waiting out a retriable failure. Default 5 s. */
  maxOutageBackoffMs?: number;
  /** Told after dead letters were written for this subscription (e.g. to count them). */
  onDeadLettered?: (letters: OutgoingMessage[]) => void;
  /**
   * Told when the group's partition assignment changes: `rebalancing` first (ownership is in doubt),
   * then `assigned` with this member's partitions. Kafka only; the embedded bus never rebalances across processes.
   */
  onAssignment?: (change: { kind: 'rebalancing' } | { kind: 'assigned'; partitions: Array<{ topic: string; partition: number }> }) => void;
  /** Most messages passed to one handleBatch call. Default 500. */
  maxBatchSize?: number;
  /**
   * For handlers that make their progress durable themselves (e.g. state saved in a database with the offset it
   * covers): the offset of `partition` up to which (exclusive) committing is safe, or undefined while nothing is.
   * The bus then commits min(this, what was handled) — after each batch and once more on stop() — so a restart or
   * a rebalance redelivers what was handled but not yet made durable (the handler recognises it by offset).
   * Default: everything handled is committed.
   */
  committableOffset?: (topic: string, partition: number) => string | undefined;
}

/** What handleBatch may ask of the bus after a call. */
export interface BatchOutcome {
  /**
   * Deliver the partition again from this offset: the handler took nothing from it on (e.g. it had to reload
   * older durable state). The rest of the batch is dropped and nothing from this offset on is committed.
   */
  resumeFrom: string;
}

export interface Subscription {
  /** Finishes the in-flight batch, commits offsets and leaves the group. Idempotent. */
  stop(): Promise<void>;
  /**
   * Delivers a partition again from `offset` (e.g. the handler lost progress it had not made durable yet): the
   * batch being handled for it, if any, is not counted as processed. Ignored for partitions this member does not own.
   */
  resumeFrom?(topic: string, partition: number, offset: string): void;
}

export interface TopicSpec {
  topic: string;
  partitions?: number;
  /** Log compaction (latest value per key kept). */
  compacted?: boolean;
  /** retention.ms of a topic created here; -1 keeps everything. Default: the broker's. */
  retentionMs?: number;
  /** max.message.bytes of a topic created here. Default: the broker's. */
  maxMessageBytes?: number;
}

export interface MessageBus {
  /** Resolves once every message is durably accepted (Kafka: acknowledged by all in-sync replicas). */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /** Resolves once the subscription is running (Kafka: joined its group, or gave up waiting for it). */
  subscribe<T>(options: SubscriptionOptions<T>): Promise<Subscription>;
  /** Creates missing topics; existing ones are left as they are. */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  /** Stops every subscription and releases connections. */
  close(): Promise<void>;
}
