import type { DataSource } from 'typeorm';
import { AppendBatcher } from './append-batcher';
import { prepareAppend } from './append-to-stream';
import { listStreams } from './list-streams';
import { readAll } from './read-all';
import { readStream } from './read-stream';
import { preparedStatements, SqlQueryable } from './sql';
import { EventStoreSubscription, SubscriptionOptions } from './subscription';
import type {
  AppendOptions,
  AppendResult,
  NewEvent,
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  ReadStreamResult,
} from './types';

/** The append-only event log in PostgreSQL (or PGlite). The DataSource must be initialized and migrated. */
export class PostgresEventStore {
  private readonly db: SqlQueryable;
  private readonly appends: AppendBatcher;
  /** Subscriptions started here: woken after each local append, so they need not wait for their next poll. */
  private readonly localSubscriptions = new Set<EventStoreSubscription>();

  constructor(readonly dataSource: DataSource) {
    this.db = preparedStatements(dataSource);
    this.appends = new AppendBatcher(this.db);
  }

  /**
   * Appends atomically if the stream is at `expectedVersion`; a retry with the same event ids is a no-op.
   * Appends to different streams issued while another is in flight share one transaction (group
   * commit), each still checked and answered on its own.
   */
  async appendToStream(streamId: string, events: NewEvent[], { expectedVersion }: AppendOptions): Promise<AppendResult> {
    const result = await this.appends.append(prepareAppend(streamId, events, expectedVersion));
    for (const subscription of this.localSubscriptions) {
      if (subscription.running) subscription.wake();
      else this.localSubscriptions.delete(subscription);
    }
    return result;
  }

  readStream(streamId: string, options?: ReadStreamOptions): Promise<ReadStreamResult> {
    return readStream(this.db, streamId, options);
  }

  /** Ids of the streams with events whose id starts with `prefix` (matched literally: `%` and `_` are plain characters). */
  listStreams({ prefix }: { prefix: string }): Promise<string[]> {
    return listStreams(this.db, prefix);
  }

  /** Events in global order, never skipping one that commits later with a lower position. */
  readAll(options?: ReadAllOptions): Promise<ReadAllResult> {
    return readAll(this.db, options);
  }

  /** Starts a checkpointed polling subscription over readAll. */
  subscribe(options: SubscriptionOptions): EventStoreSubscription {
    const subscription = new EventStoreSubscription(this.db, options).start();
    this.localSubscriptions.add(subscription);
    return subscription;
  }
}
