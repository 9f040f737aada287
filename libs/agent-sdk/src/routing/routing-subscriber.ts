import { randomUUID } from 'node:crypto';
import { decodeMessage, TOPICS } from '@iris/contracts';
import type { DecodedMessage, MessageBus, RawMessage } from '@iris/messaging';
import { CompactedTopicFollower, type EndOffsetsProbe } from '../compacted-topic-follower';
import { AgentSdkLogger, rateLimitedLogger, silentAgentLogger } from '../logger';
import { compileRoutingTable, CompiledRoutingTable, RoutingDecisionData } from './compiled-table';

export type { EndOffsetsProbe, PartitionEnd } from '../compacted-topic-follower';

export interface RoutingSubscriberOptions {
  bus: MessageBus;
  /** Agents whose tables are kept; records of other agents are skipped without being decoded. */
  agents: readonly string[];
  /** Default iris.routing.v1. */
  topic?: string;
  /** Default: a fresh unique group, so every client reads the whole compacted topic from the beginning. */
  groupId?: string;
  logger?: AgentSdkLogger;
  /**
   * Makes ready() exact: caught up with the end offsets read at start. Default: read directly from an
   * EmbeddedMessageBus; none for other buses (ready() then waits for quiet).
   */
  endOffsets?: EndOffsetsProbe;
  /**
   * Without end offsets: ready after this long without a routing record since subscribing. With end offsets: a
   * safety net (5× this) for a partition whose last offset is never delivered (e.g. a compacted-away tombstone).
   * Default 2,000 ms.
   */
  settleMs?: number;
  /** Subscription retries (broker down at start): first delay, doubled up to the max. Defaults 200 / 10,000 ms. */
  retryBackoffMinMs?: number;
  retryBackoffMaxMs?: number;
}

export interface RoutingChange {
  agent: string;
  /** The new table; undefined when the agent's table was removed (tombstone). */
  table: CompiledRoutingTable | undefined;
  previous: CompiledRoutingTable | undefined;
}

export type RoutingChangeListener = (change: RoutingChange) => void;

export interface RoutingSubscriberStats {
  /** Decisions that became an agent's current table. */
  applied: number;
  /** Decisions at or below the agent's current revision (duplicates, reordering): ignored. */
  stale: number;
  /** Records that failed decoding / validation: counted, logged, skipped. */
  invalid: number;
  /** Records of agents this client does not route. */
  ignored: number;
  /** Tombstones that removed an agent's table. */
  removed: number;
  ready: boolean;
  lastInvalid: string | null;
}

/** What decode hands to handleBatch: never throws, so nothing is dead-lettered by an agent process. */
type RoutingRecord =
  | { kind: 'decision'; decision: RoutingDecisionData }
  | { kind: 'tombstone'; agent: string }
  | { kind: 'invalid'; reason: string }
  | { kind: 'ignored' };

const IGNORED: RoutingRecord = { kind: 'ignored' };

/**
 * Keeps the current routing table of some agents from the compacted routing topic: reads it from the beginning
 * with its own consumer group (learning the whole current state at once), keeps the highest revision per
 * agent, and tells listeners about changes. Works over any MessageBus (Kafka or embedded).
 */
export class RoutingSubscriber {
  private readonly tables = new Map<string, CompiledRoutingTable>();
  private readonly revisions = new Map<string, number>();
  private readonly agents: ReadonlySet<string>;
  private readonly listeners = new Set<RoutingChangeListener>();
  private readonly logger: AgentSdkLogger;
  private readonly throttledLog: AgentSdkLogger;
  private readonly counters = { applied: 0, stale: 0, invalid: 0, ignored: 0, removed: 0 };
  private lastInvalid: string | null = null;
  private readonly follower: CompactedTopicFollower<RoutingRecord>;

  constructor(options: RoutingSubscriberOptions) {
    if (options.agents.length === 0) throw new RangeError('RoutingSubscriber: at least one agent is required');
    this.agents = new Set(options.agents);
    const topic = options.topic ?? TOPICS.routing.name;
    this.logger = options.logger ?? silentAgentLogger;
    this.throttledLog = rateLimitedLogger(this.logger, 10_000);
    this.follower = new CompactedTopicFollower<RoutingRecord>({
      bus: options.bus,
      topic,
      partitions: TOPICS.routing.partitions,
      groupId: options.groupId ?? `iris-sdk-routing.${options.agents[0]}.${randomUUID()}`,
      label: 'routing',
      logger: this.logger,
      endOffsets: options.endOffsets,
      settleMs: options.settleMs ?? 2_000,
      retryBackoffMinMs: options.retryBackoffMinMs,
      retryBackoffMaxMs: options.retryBackoffMaxMs,
      decode: (raw) => this.decode(raw, topic),
      apply: (messages) => this.apply(messages),
      readyFields: () => ({ agents: [...this.agents], tables: this.tables.size }),
    });
  }

  /** Starts consuming in the background (retrying while the broker is unreachable). Idempotent. */
  start(): Promise<void> {
    return this.follower.start();
  }

  /** Resolves once caught up with the topic's end at start (never rejects; race it with a timeout if needed). */
  ready(): Promise<void> {
    return this.follower.ready();
  }

  get caughtUp(): boolean {
    return this.follower.caughtUp;
  }

  /** The agent's current table (highest revision seen), if any. */
  table(agent: string): CompiledRoutingTable | undefined {
    return this.tables.get(agent);
  }

  /** Called on every applied table or removal; returns a function that unregisters it. */
  onChange(listener: RoutingChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): RoutingSubscriberStats {
    return { ...this.counters, ready: this.follower.caughtUp, lastInvalid: this.lastInvalid };
  }

  /** Stops consuming. A subscribe still in flight is stopped when it completes (close() never waits on a join). */
  stop(): Promise<void> {
    return this.follower.stop();
  }

  private decode(raw: RawMessage, topic: string): RoutingRecord {
    const key = raw.key === null ? null : raw.key.toString('utf8');
    if (key !== null && !this.agents.has(key)) return IGNORED; // keyed by agent: skip other agents cheaply
    if (raw.value === null || raw.value.length === 0) return key === null ? IGNORED : { kind: 'tombstone', agent: key };
    try {
      const event = decodeMessage(raw.value);
      if (event.type !== 'routing.decision') return { kind: 'invalid', reason: `unexpected event type ${event.type} on ${topic}` };
      return this.agents.has(event.data.agent) ? { kind: 'decision', decision: event.data } : IGNORED;
    } catch (error) {
      return { kind: 'invalid', reason: (error as Error)?.message ?? String(error) };
    }
  }

  private apply(messages: Array<DecodedMessage<RoutingRecord>>): void {
    for (const message of messages) {
      const record = message.value;
      switch (record.kind) {
        case 'decision':
          this.applyDecision(record.decision, message);
          break;
        case 'tombstone':
          this.remove(record.agent);
          break;
        case 'invalid':
          this.counters.invalid++;
          this.lastInvalid = record.reason;
          this.throttledLog.log('warn', 'invalid routing record skipped', {
            topic: message.topic,
            partition: message.partition,
            offset: message.offset,
            key: message.key,
            error: record.reason,
            invalid: this.counters.invalid,
          });
          break;
        case 'ignored':
          this.counters.ignored++;
          break;
        default: {
          const unreachable: never = record;
          throw new Error(`unknown routing record ${String(unreachable)}`);
        }
      }
    }
  }

  private applyDecision(decision: RoutingDecisionData, message: DecodedMessage<RoutingRecord>): void {
    const agent = decision.agent;
    if (decision.revision <= (this.revisions.get(agent) ?? -1)) {
      this.counters.stale++;
      return;
    }
    let compiled: CompiledRoutingTable;
    try {
      compiled = compileRoutingTable(decision);
    } catch (error) {
      this.counters.invalid++;
      this.lastInvalid = (error as Error)?.message ?? String(error);
      this.throttledLog.log('warn', 'routing table could not be compiled; kept the previous one', {
        agent,
        revision: decision.revision,
        offset: message.offset,
        error: this.lastInvalid,
      });
      return;
    }
    const previous = this.tables.get(agent);
    this.tables.set(agent, compiled);
    this.revisions.set(agent, decision.revision);
    this.counters.applied++;
    this.logger.log('debug', 'routing table applied', { agent, revision: decision.revision, previousRevision: previous?.revision ?? null });
    this.notify({ agent, table: compiled, previous });
  }

  /** A tombstone (the control plane deleted the agent's routing): forget the table and its revision, as a fresh reader would. */
  private remove(agent: string): void {
    const previous = this.tables.get(agent);
    this.tables.delete(agent);
    this.revisions.delete(agent);
    this.counters.removed++;
    if (previous) this.notify({ agent, table: undefined, previous });
  }

  private notify(change: RoutingChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.throttledLog.log('warn', 'routing change listener threw', { agent: change.agent, error: (error as Error)?.message });
      }
    }
  }
}
