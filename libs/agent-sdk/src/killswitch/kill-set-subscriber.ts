import { randomUUID } from 'node:crypto';
import { decodeMessage, TOPICS, type KillSetData } from '@iris/contracts';
import type { DecodedMessage, MessageBus, RawMessage, Subscription } from '@iris/messaging';
import { backoffDelayMs } from '../backoff';
import { AgentSdkLogger, rateLimitedLogger, silentAgentLogger } from '../logger';
import { endOffsetsOf } from '../routing/end-offsets';
import type { EndOffsetsProbe } from '../routing/routing-subscriber';
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
  private readonly topic: string;
  private readonly settleMs: number;
  private readonly counters = { applied: 0, stale: 0, invalid: 0, ignored: 0 };
  private lastInvalid: string | null = null;
  private started?: Promise<void>;
  private stopped = false;
  private subscription?: Subscription;
  private cutSleepShort?: () => void;
  private pending?: Map<number, number>;
  private lastActivityMs = 0;
  private readyTimer?: NodeJS.Timeout;
  private isReady = false;
  private markReady!: () => void;
  private readonly readyPromise = new Promise<void>((done) => (this.markReady = done));

  constructor(private readonly options: KillSetSubscriberOptions) {
    this.topic = options.topic ?? TOPICS.killswitch.name;
    this.settleMs = options.settleMs ?? 2_000;
    this.logger = options.logger ?? silentAgentLogger;
    this.throttledLog = rateLimitedLogger(this.logger, 10_000);
  }

  start(): Promise<void> {
    this.started ??= this.subscribeWithRetries();
    return this.started;
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  get caughtUp(): boolean {
    return this.isReady;
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
    return { ...this.counters, ready: this.isReady, revision: this.current?.revision ?? null, kills: this.current?.size ?? 0, lastInvalid: this.lastInvalid };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.readyTimer);
    this.cutSleepShort?.();
    await this.subscription?.stop().catch((error: unknown) => this.logger.log('warn', 'stopping the kill-switch subscription failed', { error: (error as Error)?.message }));
  }

  private async subscribeWithRetries(): Promise<void> {
    const groupId = this.options.groupId ?? `iris-sdk-killswitch.${this.options.environment}.${randomUUID()}`;
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.ensureTopic();
        await this.readEndOffsets();
        const subscription = await this.options.bus.subscribe<KillRecord>({
          topic: this.topic,
          groupId,
          fromBeginning: true,
          decode: (raw) => this.decode(raw),
          handleBatch: async (messages) => this.apply(messages),
        });
        if (this.stopped) {
          await subscription.stop();
          return;
        }
        this.subscription = subscription;
        this.lastActivityMs = Date.now();
        this.checkReady();
        return;
      } catch (error) {
        const delayMs = backoffDelayMs(attempt, this.options.retryBackoffMinMs ?? 200, this.options.retryBackoffMaxMs ?? 10_000);
        this.throttledLog.log('warn', 'kill-switch subscription failed; retrying', { topic: this.topic, attempt, delayMs, error: (error as Error)?.message });
        await this.sleep(delayMs);
      }
    }
  }

  private async ensureTopic(): Promise<void> {
    try {
      await this.options.bus.ensureTopics([{ topic: this.topic, partitions: TOPICS.killswitch.partitions, compacted: true }]);
    } catch (error) {
      this.logger.log('debug', 'could not ensure the kill-switch topic (may lack the permission)', { topic: this.topic, error: (error as Error)?.message });
    }
  }

  private async readEndOffsets(): Promise<void> {
    const probe = this.options.endOffsets ?? endOffsetsOf(this.options.bus);
    if (!probe || this.pending) return;
    try {
      const ends = await probe(this.topic);
      this.pending = new Map(ends.filter((end) => end.high > end.low).map((end) => [end.partition, end.high]));
    } catch (error) {
      this.logger.log('info', 'kill-switch topic end offsets unavailable; ready() waits for a quiet period instead', { topic: this.topic, error: (error as Error)?.message });
    }
  }

  private decode(raw: RawMessage): KillRecord {
    const key = raw.key === null ? null : raw.key.toString('utf8');
    if (key !== null && key !== this.options.environment) return IGNORED;
    if (raw.value === null || raw.value.length === 0) return IGNORED;
    try {
      const event = decodeMessage(raw.value);
      if (event.type !== 'killswitch.set') return { kind: 'invalid', reason: `unexpected event type ${event.type} on ${this.topic}` };
      return event.environment === this.options.environment ? { kind: 'set', data: event.data } : IGNORED;
    } catch (error) {
      return { kind: 'invalid', reason: (error as Error)?.message ?? String(error) };
    }
  }

  private async apply(messages: Array<DecodedMessage<KillRecord>>): Promise<void> {
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
    const last = messages[messages.length - 1];
    if (last) this.progress(last.partition, Number(last.offset) + 1);
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

  private progress(partition: number, nextOffset: number): void {
    this.lastActivityMs = Date.now();
    const end = this.pending?.get(partition);
    if (end !== undefined && nextOffset >= end) this.pending!.delete(partition);
    this.checkReady();
  }

  private checkReady(): void {
    if (this.isReady || this.stopped || !this.subscription) return;
    if (this.pending?.size === 0) return this.becomeReady('caught up with the end offsets at start');
    const quietMs = this.pending ? this.settleMs * 5 : this.settleMs;
    const waitedMs = Date.now() - this.lastActivityMs;
    if (waitedMs >= quietMs) return this.becomeReady(`no kill-switch record for ${quietMs} ms`);
    clearTimeout(this.readyTimer);
    this.readyTimer = setTimeout(() => this.checkReady(), quietMs - waitedMs);
    this.readyTimer.unref();
  }

  private becomeReady(why: string): void {
    this.isReady = true;
    clearTimeout(this.readyTimer);
    this.logger.log('info', 'kill set ready', { topic: this.topic, environment: this.options.environment, revision: this.current?.revision ?? null, why });
    this.markReady();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((done) => {
      const timer = setTimeout(finish, ms);
      timer.unref();
      function finish() {
        clearTimeout(timer);
        done();
      }
      this.cutSleepShort = finish;
    });
  }
}
