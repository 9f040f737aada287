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

/**
 * Stands in for `it` on a backend without concurrent connections (PGlite): the concurrency test is not
 * registered there at all, since one in-process connection cannot hold a transaction open while others commit.
 */
export function onlyWithConcurrentConnections(_name: string, _test: () => Promise<void>, _timeout?: number): void {}
