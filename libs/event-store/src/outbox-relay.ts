import type { PostgresEventStore } from './postgres-event-store';
import type { EventStoreSubscription } from './subscription';
import type { StoredEvent } from './types';

export interface OutboxRelayOptions {
  /** Names the relay's checkpoint; a restarted relay with the same id resumes where it left off. */
  relayId: string;
  /** Must resolve only once the events are durably published (e.g. Kafka acks); a throw retries the batch. */
  publish(events: StoredEvent[]): Promise<void>;
  batchSize?: number;
  pollIntervalMs?: number;
  /** Each failure; the batch is retried with capped backoff until it is published (never skipped). */
  onError?(error: unknown, subscriptionId: string, failures: number): void;
  onRecovered?(subscriptionId: string, failures: number): void;
}

/**
 * Publishes the event log by tailing it (no dual write): the checkpoint moves only after `publish`
 * resolves, so every committed event is published at least once, even across crashes.
 * Consumers de-duplicate by `eventId`.
 */
export class OutboxRelay {
  private subscription?: EventStoreSubscription;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly options: OutboxRelayOptions,
  ) {}

  get subscriptionId(): string {
    return `outbox-relay:${this.options.relayId}`;
  }

  start(): this {
    const { publish, batchSize, pollIntervalMs, onError, onRecovered } = this.options;
    this.subscription ??= this.store.subscribe({
      subscriptionId: this.subscriptionId,
      handle: publish,
      batchSize,
      pollIntervalMs,
      onError,
      onRecovered,
    });
    return this;
  }

  /** Resolves once the batch being published is done and checkpointed. */
  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }
}
