import { randomUUID } from 'node:crypto';
import { decodeMessage, TOPICS, type KillSetData } from '@iris/contracts';
import type { DecodedMessage, MessageBus, RawMessage } from '@iris/messaging';
import { CompactedTopicFollower, type EndOffsetsProbe } from '../compacted-topic-follower';
import { AgentSdkLogger, rateLimitedLogger, silentAgentLogger } from '../logger';
import { CompiledKillSet } from './compiled-kills';

export interface KillSetSubscriberOptions {
  bus: MessageBus;
  /** The environment whose kill set is kept (the record key); others are skipped undecoded. */
  environment: string;
  /** Default iris.killswitch.v1. */
  topic?: string;
  /** Default: a fresh unique group, so every client reads the whole compacted topic from the beginning. */
  groupId?: string;
  logger?: AgentSdkLogger;
  /** Exact readiness (see RoutingSubscriberOptions.endOffsets). */
  endOffsets?: EndOffsetsProbe;
  /** Without end offsets: ready after this long without a record. Default 2,000 ms. */
  settleMs?: number;
  retryBackoffMinMs?: number;
  retryBackoffMaxMs?: number;
}

export interface KillSetSubscriberStats {
  /** Kill sets that became the current one. */
  applied: number;
  /** Kill sets at or below the current revision (redeliveries, a re-publication): ignored. */
  stale: number;
  invalid: number;
  /** Records of other environments. */
  ignored: number;
  ready: boolean;
  revision: number | null;
  kills: number;
  lastInvalid: string | null;
}

export type KillSetListener = (current: CompiledKillSet, previous: CompiledKillSet | undefined) => void;

type KillRecord = { kind: 'set'; data: KillSetData } | { kind: 'invalid'; reason: string } | { kind: 'ignored' };
const IGNORED: KillRecord = { kind: 'ignored' };

/**
 * Keeps an environment's current kill set from the compacted kill-switch topic, like RoutingSubscriber does for
 * routing tables: reads the topic from the beginning with a group of its own (the whole state at once), keeps the
 * highest revision, tells listeners. Never dead-letters: an agent process only reads control records.
 */
export class KillSetSubscriber {
  private current?: CompiledKillSet;
  private readonly listeners = new Set<KillSetListener>();
  private readonly logger: AgentSdkLogger;
  private readonly throttledLog: AgentSdkLogger;
  private readonly counters = { applied: 0, stale: 0, invalid: 0, ignored: 0 };
  private lastInvalid: string | null = null;
  private readonly follower: CompactedTopicFollower<KillRecord>;

  constructor(private readonly options: KillSetSubscriberOptions) {
    const topic = options.topic ?? TOPICS.killswitch.name;
    this.logger = options.logger ?? silentAgentLogger;
    this.throttledLog = rateLimitedLogger(this.logger, 10_000);
    this.follower = new CompactedTopicFollower<KillRecord>({
      bus: options.bus,
      topic,
      partitions: TOPICS.killswitch.partitions,
      groupId: options.groupId ?? `iris-sdk-killswitch.${options.environment}.${randomUUID()}`,
      label: 'kill-switch',
      logger: this.logger,
      endOffsets: options.endOffsets,
      settleMs: options.settleMs ?? 2_000,
      retryBackoffMinMs: options.retryBackoffMinMs,
      retryBackoffMaxMs: options.retryBackoffMaxMs,
      decode: (raw) => this.decode(raw, topic),
      apply: (messages) => this.apply(messages),
      readyFields: () => ({ environment: options.environment, revision: this.current?.revision ?? null }),
    });
  }

  start(): Promise<void> {
    return this.follower.start();
  }

  ready(): Promise<void> {
    return this.follower.ready();
  }

  get caughtUp(): boolean {
    return this.follower.caughtUp;
  }

  /** The current kill set (undefined: none published for the environment yet). */
  killSet(): CompiledKillSet | undefined {
    return this.current;
  }

  onChange(listener: KillSetListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): KillSetSubscriberStats {
    return { ...this.counters, ready: this.follower.caughtUp, revision: this.current?.revision ?? null, kills: this.current?.size ?? 0, lastInvalid: this.lastInvalid };
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  private decode(raw: RawMessage, topic: string): KillRecord {
    const key = raw.key === null ? null : raw.key.toString('utf8');
    if (key !== null && key !== this.options.environment) return IGNORED;
    if (raw.value === null || raw.value.length === 0) return IGNORED;
    try {
      const event = decodeMessage(raw.value);
      if (event.type !== 'killswitch.set') return { kind: 'invalid', reason: `unexpected event type ${event.type} on ${topic}` };
      return event.environment === this.options.environment ? { kind: 'set', data: event.data } : IGNORED;
    } catch (error) {
      return { kind: 'invalid', reason: (error as Error)?.message ?? String(error) };
    }
  }

  private apply(messages: Array<DecodedMessage<KillRecord>>): void {
    for (const message of messages) {
      const record = message.value;
      switch (record.kind) {
        case 'set':
          this.applySet(record.data);
          break;
        case 'invalid':
          this.counters.invalid++;
          this.lastInvalid = record.reason;
          this.throttledLog.log('warn', 'invalid kill-switch record skipped', { topic: message.topic, offset: message.offset, error: record.reason });
          break;
        case 'ignored':
          this.counters.ignored++;
          break;
        default: {
          const unreachable: never = record;
          throw new Error(`unknown kill-switch record ${String(unreachable)}`);
        }
      }
    }
  }

  private applySet(data: KillSetData): void {
    if (this.current && data.revision <= this.current.revision) {
      this.counters.stale++;
      return;
    }
    const previous = this.current;
    this.current = new CompiledKillSet(data);
    this.counters.applied++;
    this.logger.log('info', 'kill set applied', { environment: this.options.environment, revision: data.revision, kills: data.kills.length, change: data.change });
    for (const listener of this.listeners) {
      try {
        listener(this.current, previous);
      } catch (error) {
        this.throttledLog.log('warn', 'kill-set listener threw', { error: (error as Error)?.message });
      }
    }
  }
}
