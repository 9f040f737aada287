import { createEventStoreDataSource } from '@iris/event-store';
import { createFreshDatabase, dropDatabase, uniqueName } from '@iris/testing';
import type { DataSource } from 'typeorm';
import { WindowedAggregator, type ClosedWindow } from './aggregation';
import { MetricsAggregatorTables1763900000000 } from './migrations/1763900000000-metrics-aggregator-tables';
import { PartitionStore } from './partition-store';

jest.setTimeout(60_000);

describe('PartitionStore (real PostgreSQL)', () => {
  const adminUrl = process.env.IRIS_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL;
  let databaseUrl: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    databaseUrl = await createFreshDatabase(adminUrl, 'iris_partition_store');
    dataSource = createEventStoreDataSource({ url: databaseUrl, extraMigrations: [MetricsAggregatorTables1763900000000], poolSize: 2 });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(databaseUrl, adminUrl);
  });

  const window = (startMs: number, late: number): ClosedWindow => ({
    startMs,
    endMs: startMs + 1_000,
    versions: [],
    tenants: [],
    accumulators: [{ key: { environment: 'production', agent: 'a', versionId: 'v1', role: 'primary', tenant: 't' }, accumulator: { late } as never }],
  });

  it('marks a partial emitted only in the version that was read: one rewritten meanwhile stays pending', async () => {
    const store = new PartitionStore(dataSource, uniqueName('group'), uniqueName('topic'));
    const state = new WindowedAggregator().snapshot();
    await store.save(0, undefined, 10n, state, [window(0, 1)]);
    await store.save(1, undefined, 10n, state, [window(0, 2)]);
    const read = await store.pendingPartials(1_000);
    expect(read).toHaveLength(2);

    await store.save(1, 10n, 20n, state, [window(0, 3)]); // a late partial of the same window lands after the read
    await store.markEmitted(read);

    const pending = await store.pendingPartials(1_000);
    expect(pending.map((p) => p.partition)).toEqual([1]);
    expect(pending[0].accumulators[0].accumulator.late).toBe(3);
  });
});
