import type { DecodedMessage, MessageBus, RawMessage, Subscription } from '@iris/messaging';
import { backoffDelayMs } from './backoff';
import { AgentSdkLogger, rateLimitedLogger } from './logger';
import { endOffsetsOf } from './routing/end-offsets';

/** Offsets of one partition: records live in [low, high). */
export interface PartitionEnd {
  partition: number;
  low: number;
  high: number;
}

/** Reads a topic's partition end offsets (exact readiness); see kafkaEndOffsets / embeddedEndOffsets. */
export type EndOffsetsProbe = (topic: string) => Promise<PartitionEnd[]>;

export interface CompactedTopicFollowerOptions<R> {
  bus: MessageBus;
  topic: string;
  /** Partitions the topic is created with when missing (a fresh cluster). */
  partitions: number;
  groupId: string;
  /** What is followed, for log lines: `routing`, `kill-switch`. */
  label: string;
  logger: AgentSdkLogger;
  endOffsets?: EndOffsetsProbe;
  /** See RoutingSubscriberOptions.settleMs. */
  settleMs: number;
  retryBackoffMinMs?: number;
  retryBackoffMaxMs?: number;
  /** Never throws: an agent process never dead-letters control records. */
  decode: (raw: RawMessage) => R;
  apply: (messages: Array<DecodedMessage<R>>) => void;
  /** Fields of the "ready" log line (what was learned). */
  readyFields: () => Record<string, unknown>;
}

/**
 * The machinery an SDK needs to follow a compacted control topic from the beginning with a group of its own:
 * subscribing (retried with backoff while the broker is unreachable), creating the topic on a fresh cluster, and
 * readiness — exact when the end offsets at start can be read (caught up with them), else after a quiet period.
 */
export class CompactedTopicFollower<R> {
  private readonly throttledLog: AgentSdkLogger;
  private started?: Promise<void>;
  private stopped = false;
  private subscription?: Subscription;
  private cutSleepShort?: () => void;
  /** Partition → end offset still to reach (exact mode); undefined until known. */
  private pending?: Map<number, number>;
  private lastActivityMs = 0;
  private readyTimer?: NodeJS.Timeout;
  private isReady = false;
  private markReady!: () => void;
  private readonly readyPromise = new Promise<void>((done) => (this.markReady = done));

  constructor(private readonly options: CompactedTopicFollowerOptions<R>) {
    this.throttledLog = rateLimitedLogger(options.logger, 10_000);
  }

  /** Starts consuming in the background (retrying while the broker is unreachable). Idempotent. */
  start(): Promise<void> {
    this.started ??= this.subscribeWithRetries();
    return this.started;
  }

  /** Resolves once caught up with the topic's end at start (never rejects). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  get caughtUp(): boolean {
    return this.isReady;
  }

  /** Stops consuming. A subscribe still in flight is stopped when it completes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.readyTimer);
    this.cutSleepShort?.();
    await this.subscription?.stop().catch((error: unknown) =>
      this.options.logger.log('warn', `stopping the ${this.options.label} subscription failed`, { error: (error as Error)?.message }),
    );
  }

  private async subscribeWithRetries(): Promise<void> {
    const { bus, topic, groupId, label } = this.options;
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.ensureTopic();
        await this.readEndOffsets();
        const subscription = await bus.subscribe<R>({
          topic,
          groupId,
          fromBeginning: true,
          decode: (raw) => this.options.decode(raw),
          handleBatch: async (messages) => {
            this.options.apply(messages);
            const last = messages[messages.length - 1];
            if (last) this.progress(last.partition, Number(last.offset) + 1);
          },
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
        this.throttledLog.log('warn', `${label} subscription failed; retrying`, { topic, attempt, delayMs, error: (error as Error)?.message });
        await this.sleep(delayMs);
      }
    }
  }

  /** The control plane owns the topic; creating it (compacted, catalogued partitions) only helps a fresh cluster. */
  private async ensureTopic(): Promise<void> {
    const { bus, topic, partitions, label } = this.options;
    try {
      await bus.ensureTopics([{ topic, partitions, compacted: true }]);
    } catch (error) {
      this.options.logger.log('debug', `could not ensure the ${label} topic (may lack the permission)`, { topic, error: (error as Error)?.message });
    }
  }

  private async readEndOffsets(): Promise<void> {
    const probe = this.options.endOffsets ?? endOffsetsOf(this.options.bus);
    if (!probe || this.pending) return;
    try {
      const ends = await probe(this.options.topic);
      this.pending = new Map(ends.filter((end) => end.high > end.low).map((end) => [end.partition, end.high]));
    } catch (error) {
      this.options.logger.log('info', `${this.options.label} topic end offsets unavailable; ready() waits for a quiet period instead`, {
        topic: this.options.topic,
        settleMs: this.options.settleMs,
        error: (error as Error)?.message,
      });
    }
  }

  private progress(partition: number, nextOffset: number): void {
    this.lastActivityMs = Date.now();
    const end = this.pending?.get(partition);
    if (end !== undefined && nextOffset >= end) this.pending!.delete(partition);
    this.checkReady();
  }

  /**
   * Ready once every partition reached its end offset at start, or after a quiet period: settleMs without end
   * offsets, 5× settleMs with them (a safety net for a last offset never delivered, e.g. a compacted-away tombstone).
   */
  private checkReady(): void {
    if (this.isReady || this.stopped || !this.subscription) return;
    if (this.pending?.size === 0) return this.becomeReady('caught up with the end offsets at start');
    const quietMs = this.pending ? this.options.settleMs * 5 : this.options.settleMs;
    const waitedMs = Date.now() - this.lastActivityMs;
    if (waitedMs >= quietMs) {
      const short = this.pending ? ` (partitions ${[...this.pending.keys()].join(',')} short of their end)` : '';
      return this.becomeReady(`no ${this.options.label} record for ${quietMs} ms${short}`);
    }
    clearTimeout(this.readyTimer);
    this.readyTimer = setTimeout(() => this.checkReady(), quietMs - waitedMs);
    this.readyTimer.unref();
  }

  private becomeReady(why: string): void {
    this.isReady = true;
    clearTimeout(this.readyTimer);
    this.options.logger.log('info', `${this.options.label} ready`, { topic: this.options.topic, ...this.options.readyFields(), why });
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
