import { createEventStoreDataSource } from '@iris/event-store';
import { createFreshDatabase, dropDatabase } from '@iris/testing';
import type { DataSource } from 'typeorm';
import { MetricsAggregatorTables1763900000000 } from '../migrations/1763900000000-metrics-aggregator-tables';

/**
 * For a describe block: a fresh PostgreSQL database with the aggregator's tables, created before its tests and
 * dropped after them. Returns a getter for the data source (it exists once beforeAll has run).
 */
export function useMetricsDatabase(prefix: string, poolSize: number): () => DataSource {
  const adminUrl = process.env.IRIS_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL;
  let databaseUrl: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    databaseUrl = await createFreshDatabase(adminUrl, prefix);
    dataSource = createEventStoreDataSource({ url: databaseUrl, extraMigrations: [MetricsAggregatorTables1763900000000], poolSize });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(databaseUrl, adminUrl);
  });

  return () => dataSource;
}
