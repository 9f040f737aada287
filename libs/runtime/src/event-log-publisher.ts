import type { DataSource } from 'typeorm';
import { OutboxRelay, PostgresEventStore, StoredEvent } from '@iris/event-store';
import { splitBySize, type MessageBus } from '@iris/messaging';
import type { JsonLogger } from '@iris/observability';
import { toTopicMessages } from './contract-events';
import { LeaderLock } from './leader-lock';

export interface EventLogPublisherOptions {
  relayId?: string;
  /** How often a standby instance tries to become the publisher. */
  leaderRetryMs?: number;
  pollIntervalMs?: number;
  batchSize?: number;
  /** Embedded mode: one process, no election needed. */
  singleInstance?: boolean;
}

/** Most bytes (keys, values, headers) the relay puts in one publish: half the broker's default 1 MiB batch limit. */
export const PUBLISH_BUDGET_BYTES = 512 * 1024;

/**
 * Publishes every contract event appended to the log to its Kafka topic (outbox by log tailing:
 * no dual write, at least once). One instance publishes at a time, elected by an advisory lock.
 */
export class EventLogPublisher {
  private relay?: OutboxRelay;
  /** Set while publishing fails (an outage being waited out): since when, how often, and the last error. */
  private failing?: { sinceMs: number; attempts: number; error: string };
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly lock: LeaderLock;
  private readonly relayId: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    private readonly bus: MessageBus,
    private readonly logger: JsonLogger,
    private readonly options: EventLogPublisherOptions = {},
  ) {
    this.relayId = options.relayId ?? 'kafka';
    this.lock = new LeaderLock(dataSource, `iris-outbox:${this.relayId}`);
  }

  get isLeader(): boolean {
    return this.relay !== undefined;
  }

  /** Readiness: throws, with the reason, while the relay fails to publish (the log's events wait; nothing is lost). */
  assertPublishing(nowMs = Date.now()): void {
    const failing = this.failing;
    if (!failing) return;
    throw new Error(`publishing the event log has failed for ${nowMs - failing.sinceMs} ms (${failing.attempts} attempts; waited out, nothing lost): ${failing.error}`);
  }

  start(): this {
    void this.tick();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.relay?.stop();
    this.relay = undefined;
    await this.lock.release().catch(() => undefined);
  }

  /**
   * Publishes one batch of log entries, topic by topic, in requests of at most PUBLISH_BUDGET_BYTES: a backlog of
   * large events (snapshots after a restart) in one request would exceed the broker's record-batch limit and be
   * refused every time it is retried. Throwing makes the relay retry the batch.
   */
  private readonly publish = async (events: StoredEvent[]): Promise<void> => {
    for (const [topic, messages] of toTopicMessages(events)) {
      for (const part of splitBySize(messages, PUBLISH_BUDGET_BYTES)) await this.bus.publish(topic, part);
    }
  };

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (!this.relay) this.failing = undefined; // a standby publishes nothing, so nothing of its own is failing
    try {
      if (!this.relay && (this.options.singleInstance || (await this.lock.tryAcquire()))) {
        this.logger.info('event-log publisher elected leader', { relayId: this.relayId });
        this.relay = new OutboxRelay(this.store, {
          relayId: this.relayId,
          publish: this.publish,
          pollIntervalMs: this.options.pollIntervalMs ?? 50,
          batchSize: this.options.batchSize ?? 500,
          // One line per outage: when publishing starts failing, and when it goes through again.
          onError: (error, _id, failures) => {
            this.failing = { sinceMs: this.failing?.sinceMs ?? Date.now(), attempts: failures, error: error instanceof Error ? error.message : String(error) };
            if (failures === 1) this.logger.warn('event-log publish failing; retried with backoff until it succeeds', { relayId: this.relayId, error });
          },
          onRecovered: (_id, failures) => {
            this.failing = undefined;
            this.logger.info('event-log publish recovered', { relayId: this.relayId, failedAttempts: failures });
          },
        }).start();
      } else if (this.relay && !this.options.singleInstance) {
        await this.lock.assertHeld();
      }
    } catch (error) {
      this.logger.warn('event-log publisher lost or could not take leadership', { error });
      await this.relay?.stop().catch(() => undefined);
      this.relay = undefined;
      await this.lock.release().catch(() => undefined);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.options.leaderRetryMs ?? 5_000);
  }
}
