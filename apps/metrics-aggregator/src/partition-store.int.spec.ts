import { uniqueName } from '@iris/testing';
import { WindowedAggregator, type ClosedWindow } from './aggregation';
import { PartitionStore } from './partition-store';
import { useMetricsDatabase } from './testing/metrics-database';

jest.setTimeout(60_000);

describe('PartitionStore (real PostgreSQL)', () => {
  const database = useMetricsDatabase('iris_partition_store', 2);

  const window = (startMs: number, late: number): ClosedWindow => ({
    startMs,
    endMs: startMs + 1_000,
    versions: [],
    tenants: [],
    accumulators: [{ key: { environment: 'production', agent: 'a', versionId: 'v1', role: 'primary', tenant: 't' }, accumulator: { late } as never }],
  });

  it('marks a partial emitted only in the version that was read: one rewritten meanwhile stays pending', async () => {
    const store = new PartitionStore(database(), uniqueName('group'), uniqueName('topic'));
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
