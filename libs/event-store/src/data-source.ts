import { DataSource, MigrationInterface } from 'typeorm';
import type { TlsOptions } from 'node:tls';
import { PGliteDriver } from 'typeorm-pglite';
import { eventStoreMigrations } from './migrations';

interface CommonOptions {
  /** Run pending migrations in `initialize()` (default true). Otherwise call `migrateEventStore`. */
  migrationsRun?: boolean;
  logging?: boolean;
  /** Migrations of the services that share this database, run after the event store's own. */
  extraMigrations?: Array<new () => MigrationInterface>;
}

export interface ServerDataSourceOptions extends CommonOptions {
  url: string;
  /** Passed through to node-postgres: `true`, or TLS options (ca, cert, rejectUnauthorized…). */
  ssl?: boolean | TlsOptions;
  /** Connections in the pool (default 20). */
  poolSize?: number;
}

export interface EmbeddedDataSourceOptions extends CommonOptions {
  embedded: true;
  /** PGlite data directory; in-memory when omitted. */
  dataDir?: string;
}

export type EventStoreDataSourceOptions = ServerDataSourceOptions | EmbeddedDataSourceOptions;

export const EVENT_STORE_MIGRATIONS_TABLE = 'event_store_migrations';

/**
 * A TypeORM DataSource for the event store, on PostgreSQL or embedded PGlite.
 * Embedded: typeorm-pglite keeps ONE PGlite instance per process (a module-level singleton), single
 * connection; destroy the DataSource before creating another embedded one.
 */
export function createEventStoreDataSource(options: EventStoreDataSourceOptions): DataSource {
  const common = {
    type: 'postgres' as const,
    synchronize: false,
    migrations: [...eventStoreMigrations, ...(options.extraMigrations ?? [])],
    migrationsRun: options.migrationsRun ?? true,
    migrationsTableName: EVENT_STORE_MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each' as const,
    logging: options.logging ?? false,
  };
  if ('embedded' in options) {
    return new DataSource({ ...common, driver: new PGliteDriver({ dataDir: options.dataDir }).driver });
  }
  return new DataSource({ ...common, url: options.url, ssl: options.ssl, poolSize: options.poolSize ?? 20 });
}

/** Advisory-lock key that serialises migrations of every process sharing the database. */
const MIGRATION_LOCK_KEY = 0x1a15_0001;

/**
 * Applies pending migrations (for DataSources created with `migrationsRun: false`). On a PostgreSQL server the
 * run holds an advisory lock, so services starting together on a fresh database migrate one after the other
 * instead of racing to create the same tables.
 */
export async function migrateEventStore(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type !== 'postgres' || 'driver' in dataSource.options) {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}
