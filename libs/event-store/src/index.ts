export * from './types';
export * from './errors';
export {
  createEventStoreDataSource,
  migrateEventStore,
  EVENT_STORE_MIGRATIONS_TABLE,
  type EventStoreDataSourceOptions,
  type ServerDataSourceOptions,
  type EmbeddedDataSourceOptions,
} from './data-source';
export { eventStoreMigrations } from './migrations';
export { PostgresEventStore } from './postgres-event-store';
export { EventStoreSubscription, type SubscriptionOptions } from './subscription';
export { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';
export { loadCheckpoint, storeCheckpoint } from './checkpoints';
export type { SqlQueryable } from './sql';
export {
  CommandHandler,
  ConcurrencyRetriesExhaustedError,
  type CommandHandlerOptions,
  type Decision,
  type EventStreamStore,
  type HandleOptions,
  type HandleResult,
  type StreamState,
} from './command-handler';
