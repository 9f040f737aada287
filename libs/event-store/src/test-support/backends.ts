import type { DataSource } from 'typeorm';
import { createFreshDatabase, DEFAULT_DATABASE_URL, dropDatabase } from '@iris/testing';
import { createEventStoreDataSource } from '../data-source';

export interface OpenedBackend {
  dataSource: DataSource;
  /** Real PostgreSQL URL, for tests that need their own connection. */
  url?: string;
  close(): Promise<void>;
}

export interface EventStoreBackend {
  name: 'postgres' | 'pglite';
  /** PGlite is one connection in-process: no concurrent transactions. */
  concurrentConnections: boolean;
  open(): Promise<OpenedBackend>;
}

export const adminDatabaseUrl = (): string => process.env.IRIS_ADMIN_DATABASE_URL ?? DEFAULT_DATABASE_URL;

export const postgresBackend: EventStoreBackend = {
  name: 'postgres',
  concurrentConnections: true,
  async open() {
    const url = await createFreshDatabase(adminDatabaseUrl(), 'iris_es');
    const dataSource = await createEventStoreDataSource({ url }).initialize();
    return {
      dataSource,
      url,
      async close() {
        await dataSource.destroy();
        await dropDatabase(url, adminDatabaseUrl());
      },
    };
  },
};

/** In-memory PGlite. typeorm-pglite holds one instance per process: open one at a time. */
export const pgliteBackend: EventStoreBackend = {
  name: 'pglite',
  concurrentConnections: false,
  async open() {
    const dataSource = await createEventStoreDataSource({ embedded: true }).initialize();
    return { dataSource, close: () => dataSource.destroy() };
  },
};

export const eventStoreBackends: EventStoreBackend[] = [postgresBackend, pgliteBackend];

/** Why a test that needs a second connection cannot run on PGlite. */
export const NO_CONCURRENT_CONNECTIONS = 'PGlite is one in-process connection: no second connection can hold a transaction open while others commit';

/**
 * Stands in for `it` on a backend without concurrent connections (PGlite): the test is registered as
 * skipped, with the reason in its name, so the run reports it instead of leaving it out.
 */
export function onlyWithConcurrentConnections(name: string, test: () => Promise<void>, timeout?: number): void {
  it.skip(`${name} (skipped: ${NO_CONCURRENT_CONNECTIONS})`, test, timeout);
}
