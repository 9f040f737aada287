import { processPartitionBatch } from './batch-processor';
import { ConsumerHealth } from './consumer-health';
import { deadLetterTopic } from './dead-letter';
import { MessageBusClosedError, MessagingConfigError } from './errors';
import { jsonLinesLogger, MessagingLogger } from './logger';
import { Headers, MessageBus, OutgoingMessage, RawMessage, Subscription, SubscriptionOptions, TopicSpec } from './message-bus';
import { resolveSubscriptionOptions, ResolvedSubscriptionOptions } from './subscription-options';

export interface EmbeddedMessageBusOptions {
  /** Partitions of topics created implicitly (publish/subscribe) or without `partitions`. Default 1. */
  defaultPartitions?: number;
  /** Most messages taken from one partition per poll. Default 1000. */
  maxPollRecords?: number;
  logger?: MessagingLogger;
  /** Where the consumers report outages they wait out and dead letters (readiness, metrics). Default: one of its own. */
  health?: ConsumerHealth;
}

/**
 * In-process MessageBus with Kafka-like semantics, for the embedded default (no Kafka):
 * partitioned append-only logs (key hash → partition, so per-key order), consumer groups with committed
 * offsets (members of one group split partitions; each group gets everything), fromBeginning replay,
 * asynchronous delivery, and the same retry / dead-letter semantics as KafkaMessageBus.
 * Compaction is not emulated: compacted topics keep every message. Nothing is persisted.
 */
export class EmbeddedMessageBus implements MessageBus {
  private readonly topics = new Map<string, EmbeddedTopic>();
  private readonly groups = new Map<string, EmbeddedGroup>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly logger: MessagingLogger;
  private readonly defaultPartitions: number;
  readonly maxPollRecords: number;
  private waiters: Array<() => void> = [];
  private wakeScheduled = false;
  private closed = false;
  readonly health: ConsumerHealth;

  constructor(options: EmbeddedMessageBusOptions = {}) {
    this.defaultPartitions = options.defaultPartitions ?? 1;
    this.maxPollRecords = options.maxPollRecords ?? 1000;
    if (!Number.isInteger(this.defaultPartitions) || this.defaultPartitions < 1)
      throw new MessagingConfigError('embedded bus: defaultPartitions must be an integer >= 1');
    this.logger = options.logger ?? jsonLinesLogger({ component: 'messaging.embedded' });
    this.health = options.health ?? new ConsumerHealth(this.logger);
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.assertOpen();
    if (messages.length === 0) return;
    const log = this.topic(topic);
    const timestamp = String(Date.now());
    for (const message of messages) {
      log.partitions[log.partitionFor(message.key)].push({
        key: toBuffer(message.key),
        value: toBuffer(message.value),
        headers: message.headers ? { ...message.headers } : {},
        timestamp,
      });
    }
    this.wakeConsumers();
  }

  async subscribe<T>(options: SubscriptionOptions<T>): Promise<Subscription> {
    this.assertOpen();
    const resolved = resolveSubscriptionOptions(options);
    for (const topic of resolved.topics) this.topic(topic);
    const group = this.group(resolved.groupId);
    const subscription = new EmbeddedSubscription(this, group, resolved, this.logger, () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    group.join(subscription, this);
    subscription.start();
    this.wakeConsumers();
    return subscription;
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    this.assertOpen();
    for (const spec of topics) this.topic(spec.topic, spec.partitions);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
  }

  /** The partition log of a topic (created on first use, like Kafka's auto topic creation). */
  topic(name: string, partitions = this.defaultPartitions): EmbeddedTopic {
    let topic = this.topics.get(name);
    if (!topic) {
      if (!Number.isInteger(partitions) || partitions < 1)
        throw new MessagingConfigError(`embedded bus: partitions of ${name} must be an integer >= 1`);
      topic = new EmbeddedTopic(partitions);
      this.topics.set(name, topic);
    }
    return topic;
  }

  /** Resolves at the next publish, commit or membership change (always asynchronously). */
  nextChange(): Promise<void> {
    return new Promise((done) => this.waiters.push(done));
  }

  wakeConsumers(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }

  private group(groupId: string): EmbeddedGroup {
    let group = this.groups.get(groupId);
    if (!group) this.groups.set(groupId, (group = new EmbeddedGroup()));
    return group;
  }

  private assertOpen(): void {
    if (this.closed) throw new MessageBusClosedError('the embedded message bus is closed');
  }
}

interface StoredMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  timestamp: string;
}

class EmbeddedTopic {
  readonly partitions: StoredMessage[][];
  private nextUnkeyed = 0;

  constructor(partitionCount: number) {
    this.partitions = Array.from({ length: partitionCount }, () => []);
  }

  partitionFor(key: OutgoingMessage['key']): number {
    const count = this.partitions.length;
    if (key === null) return this.nextUnkeyed++ % count;
    return fnv1a(typeof key === 'string' ? Buffer.from(key) : key) % count;
  }
}

interface PartitionRef {
  topic: string;
  partition: number;
  id: string;
}

/** What a group needs to know about a member. */
interface GroupMember {
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
}

/**
 * Membership, partition assignment and offsets of one consumer group: the committed offset, and the delivery
 * position (ahead of it when handled messages are not committed yet; back to it after a rebalance, as in Kafka).
 */
class EmbeddedGroup {
  private readonly members: Array<GroupMember> = [];
  private readonly assignments = new Map<GroupMember, PartitionRef[]>();
  private readonly committed = new Map<string, number>();
  private readonly positions = new Map<string, number>();
  /** Partitions being processed right now: a new owner waits until the previous one has committed. */
  private readonly busy = new Set<string>();

  join(member: GroupMember, bus: EmbeddedMessageBus): void {
    this.members.push(member);
    this.rebalance(bus);
  }

  leave(member: GroupMember, bus: EmbeddedMessageBus): void {
    const index = this.members.indexOf(member);
    if (index >= 0) this.members.splice(index, 1);
    this.assignments.delete(member);
    this.rebalance(bus);
  }

  assignmentOf(member: GroupMember): readonly PartitionRef[] {
    return this.assignments.get(member) ?? [];
  }

  /** Claims a partition with unread messages; returns its next offset, or undefined. */
  claim(ref: PartitionRef, logLength: number): number | undefined {
    if (this.busy.has(ref.id)) return undefined;
    const position = this.positions.get(ref.id) ?? this.committed.get(ref.id) ?? 0;
    if (position >= logLength) return undefined;
    this.busy.add(ref.id);
    return position;
  }

  release(ref: PartitionRef): void {
    this.busy.delete(ref.id);
  }

  commit(ref: PartitionRef, nextOffset: number): void {
    if (nextOffset > (this.committed.get(ref.id) ?? 0)) this.committed.set(ref.id, nextOffset);
  }

  /** Where delivery of the partition continues (handled up to here, or sought). */
  moveTo(ref: PartitionRef, nextOffset: number): void {
    this.positions.set(ref.id, nextOffset);
  }

  /** Round-robin of each topic's partitions over the members subscribed to it (in join order). */
  private rebalance(bus: EmbeddedMessageBus): void {
    this.assignments.clear();
    this.positions.clear(); // new owners start from the committed offsets
    for (const member of this.members) this.assignments.set(member, []);
    const topics = new Set(this.members.flatMap((member) => member.topics));
    for (const topic of topics) {
      const subscribers = this.members.filter((member) => member.topics.includes(topic));
      const partitionCount = bus.topic(topic).partitions.length;
      for (let partition = 0; partition < partitionCount; partition++) {
        const owner = subscribers[partition % subscribers.length];
        const ref = { topic, partition, id: `${topic}\u0000${partition}` };
        this.assignments.get(owner)!.push(ref);
        // A group without a committed offset starts at the beginning or at the current end.
        if (!this.committed.has(ref.id)) {
          this.committed.set(ref.id, owner.fromBeginning ? 0 : bus.topic(topic).partitions[partition].length);
        }
      }
    }
    bus.wakeConsumers();
  }
}

class EmbeddedSubscription<T> implements Subscription, GroupMember {
  private running = true;
  private loop?: Promise<void>;
  private stopping?: Promise<void>;
  /** Per partition id: the next offset handled by this member. */
  private readonly handled = new Map<string, number>();
  /** Partitions sought (resumeFrom) while a batch of theirs was being handled: that batch does not count. */
  private readonly sought = new Set<string>();

  constructor(
    private readonly bus: EmbeddedMessageBus,
    private readonly group: EmbeddedGroup,
    private readonly options: ResolvedSubscriptionOptions<T>,
    private readonly logger: MessagingLogger,
    private readonly onStopped: () => void,
  ) {}

  get topics(): readonly string[] {
    return this.options.topics;
  }

  get fromBeginning(): boolean {
    return this.options.fromBeginning;
  }

  start(): void {
    this.loop = this.pollLoop();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      this.bus.wakeConsumers();
      await this.loop;
      for (const ref of this.group.assignmentOf(this)) this.commitHandled(ref); // progress made durable since the last batch
      this.group.leave(this, this.bus);
      this.onStopped();
    })();
    return this.stopping;
  }

  private async pollLoop(): Promise<void> {
    await new Promise((done) => setImmediate(done)); // delivery is never synchronous with subscribe/publish
    while (this.running) {
      const change = this.bus.nextChange();
      let worked = false;
      for (const ref of this.group.assignmentOf(this)) {
        if (!this.running) break;
        if (await this.pollPartition(ref)) worked = true;
      }
      if (worked) await new Promise((done) => setImmediate(done));
      else if (this.running) await change;
    }
  }

  resumeFrom(topic: string, partition: number, offset: string): void {
    const ref = this.group.assignmentOf(this).find((r) => r.topic === topic && r.partition === partition);
    if (!ref || !this.running) return;
    this.group.moveTo(ref, Number(offset));
    if (Number(offset) < (this.handled.get(ref.id) ?? Infinity)) this.handled.set(ref.id, Number(offset));
    this.sought.add(ref.id);
    this.bus.wakeConsumers();
  }

  /** Processes one poll of a partition; true if there was something to do. */
  private async pollPartition(ref: PartitionRef): Promise<boolean> {
    const log = this.bus.topic(ref.topic).partitions[ref.partition];
    const position = this.group.claim(ref, log.length);
    if (position === undefined) return false;
    this.sought.delete(ref.id);
    try {
      const end = Math.min(log.length, position + this.bus.maxPollRecords);
      const batch: RawMessage[] = [];
      const highWatermark = String(log.length);
      for (let offset = position; offset < end; offset++) batch.push(toRawMessage(ref, offset, log[offset], highWatermark));
      await processPartitionBatch(batch, this.options, {
        deadLetter: (source, letters) => this.bus.publish(deadLetterTopic(source), letters),
        markProcessed: (lastOffset) => {
          if (this.sought.has(ref.id)) return; // sought meanwhile (resumeFrom): these come again
          this.handled.set(ref.id, Number(lastOffset) + 1);
          this.group.moveTo(ref, Number(lastOffset) + 1);
          this.commitHandled(ref);
        },
        heartbeat: async () => undefined,
        shouldStop: () => !this.running || this.sought.has(ref.id),
        seek: (offset) => this.resumeFrom(ref.topic, ref.partition, offset),
        health: this.bus.health,
        logger: this.logger,
      });
    } catch (error) {
      // Only an internal failure gets here (handler errors are dead-lettered): back off, then retry from the commit.
      this.logger.log('error', 'embedded consumer batch failed', { topic: ref.topic, partition: ref.partition, error });
      await new Promise((done) => setTimeout(done, Math.max(this.options.retryBackoffMs, 10)));
    } finally {
      this.group.release(ref);
      this.bus.wakeConsumers();
    }
    return true;
  }

  /** Commits what was handled, at most up to the durable offset when the handler keeps its own (committableOffset). */
  private commitHandled(ref: PartitionRef): void {
    let next = this.handled.get(ref.id);
    if (next === undefined) return;
    const committable = this.options.committableOffset;
    if (committable) {
      const durable = committable(ref.topic, ref.partition);
      if (durable === undefined) return;
      next = Math.min(next, Number(durable));
    }
    this.group.commit(ref, next);
  }
}

function toRawMessage(ref: PartitionRef, offset: number, stored: StoredMessage, highWatermark: string): RawMessage {
  return {
    topic: ref.topic,
    partition: ref.partition,
    offset: String(offset),
    key: stored.key,
    value: stored.value,
    headers: stored.headers,
    timestamp: stored.timestamp,
    highWatermark,
  };
}

function toBuffer(data: string | Buffer | null): Buffer | null {
  if (data === null) return null;
  return typeof data === 'string' ? Buffer.from(data) : Buffer.from(data); // copy: the log is immutable
}

/** 32-bit FNV-1a: cheap, stable key → partition hashing. */
function fnv1a(bytes: Buffer): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i];
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
