import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { uniqueName } from '@iris/testing';
import { ConcurrencyError, DuplicateEventIdError } from './errors';
import { PostgresEventStore } from './postgres-event-store';
import { eventStoreBackends, onlyWithConcurrentConnections, OpenedBackend } from './test-support/backends';
import type { AppendResult, NewEvent } from './types';

// jest.config.js's per-project testTimeout is not applied (Jest default 5 s): fresh databases need more.
jest.setTimeout(60_000);

const event = (type: string, id?: string): NewEvent => ({ id, type, data: { type }, metadata: { actor: 'tester' } });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Appends issued in the same turn of the event loop go out together (group commit). */
describe.each(eventStoreBackends)('concurrent appends batched into one transaction on $name', (backend) => {
  let opened: OpenedBackend;
  let store: PostgresEventStore;

  beforeAll(async () => {
    opened = await backend.open();
    store = new PostgresEventStore(opened.dataSource);
  });
  afterAll(() => opened.close());

  const transactionsOf = async (prefix: string): Promise<number> => {
    const [row] = await opened.dataSource.query(
      `SELECT count(DISTINCT transaction_id)::int AS n FROM events WHERE stream_id LIKE $1 || '%'`,
      [prefix],
    );
    return row.n;
  };

  const expectContiguous = async (streamId: string, version: number): Promise<void> => {
    const read = await store.readStream(streamId);
    expect(read.currentVersion).toBe(BigInt(version));
    expect(read.events.map((e) => Number(e.streamPosition))).toEqual(Array.from({ length: version }, (_, i) => i + 1));
  };

  it('fails exactly the appends with a wrong expected version; all others land', async () => {
    const prefix = uniqueName('burst');
    const STREAMS = 40;
    const streamIds = Array.from({ length: STREAMS }, (_, i) => `${prefix}-${i}`);
    const seeds = await Promise.all(
      streamIds.map((id) => store.appendToStream(id, [event('Seeded', randomUUID())], { expectedVersion: 'no_stream' })),
    );
    expect(seeds.map((s) => s.nextExpectedVersion)).toEqual(streamIds.map(() => 1n));

    // Every 5th expects the wrong version; every 7th (not also 5th) appends with 'any'; sizes vary.
    const wrong = (i: number) => i % 5 === 0;
    const expectedVersionOf = (i: number) => (wrong(i) ? (i % 2 ? 0 : 3) : i % 7 === 0 ? 'any' : 1);
    const outcomes = await Promise.allSettled(
      streamIds.map((id, i) =>
        store.appendToStream(
          id,
          Array.from({ length: 1 + (i % 3) }, (_, k) => event(`E${k}`)),
          { expectedVersion: expectedVersionOf(i) as number },
        ),
      ),
    );

    outcomes.forEach((outcome, i) => {
      if (wrong(i)) {
        expect(outcome.status).toBe('rejected');
        const { reason } = outcome as PromiseRejectedResult;
        expect(reason).toBeInstanceOf(ConcurrencyError);
        expect(reason).toMatchObject({ streamId: streamIds[i], expected: expectedVersionOf(i), actual: 1n });
      } else {
        expect(outcome.status).toBe('fulfilled');
        const result = (outcome as PromiseFulfilledResult<AppendResult>).value;
        expect(result.nextExpectedVersion).toBe(BigInt(2 + (i % 3)));
        expect(result.positions).toHaveLength(1 + (i % 3));
        expect(result.lastGlobalPosition).toBe(result.positions[result.positions.length - 1]);
      }
    });
    for (let i = 0; i < STREAMS; i++) await expectContiguous(streamIds[i], wrong(i) ? 1 : 2 + (i % 3));

    // The read-back positions are the ones each append reported, in stream order.
    const third = (outcomes[3] as PromiseFulfilledResult<AppendResult>).value;
    expect((await store.readStream(streamIds[3], { from: 2 })).events.map((e) => e.globalPosition)).toEqual(third.positions);

    // Group commit happened: 40 seeds + 32 appends in far fewer transactions.
    expect(await transactionsOf(prefix)).toBeLessThan(20);
  });

  it('keeps idempotent retries in a burst and orders appends to one stream', async () => {
    const prefix = uniqueName('retry');
    const retried = [event('A', randomUUID()), event('B', randomUUID())];
    const original = await store.appendToStream(`${prefix}-retried`, retried, { expectedVersion: 'no_stream' });
    await store.appendToStream(`${prefix}-retried`, [event('C')], { expectedVersion: 2 });

    const [retry, retryAny, first, second, racing, other] = await Promise.allSettled([
      store.appendToStream(`${prefix}-retried`, retried, { expectedVersion: 'no_stream' }),
      store.appendToStream(`${prefix}-retried`, retried, { expectedVersion: 'any' }),
      // Two appends to one stream at once, the second expecting the first: they never share a batch.
      store.appendToStream(`${prefix}-seq`, [event('S1')], { expectedVersion: 'no_stream' }),
      store.appendToStream(`${prefix}-seq`, [event('S2'), event('S3')], { expectedVersion: 1 }),
      store.appendToStream(`${prefix}-seq`, [event('X')], { expectedVersion: 'no_stream' }),
      store.appendToStream(`${prefix}-other`, [event('O')], { expectedVersion: 'no_stream' }),
    ]);
    expect(retry).toEqual({ status: 'fulfilled', value: original });
    expect(retryAny).toEqual({ status: 'fulfilled', value: original });
    expect(first).toMatchObject({ status: 'fulfilled', value: { nextExpectedVersion: 1n } });
    expect(second).toMatchObject({ status: 'fulfilled', value: { nextExpectedVersion: 3n } });
    expect(racing.status).toBe('rejected');
    expect((racing as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect(other).toMatchObject({ status: 'fulfilled', value: { nextExpectedVersion: 1n } });

    expect((await store.readStream(`${prefix}-retried`)).events.map((e) => e.type)).toEqual(['A', 'B', 'C']);
    expect((await store.readStream(`${prefix}-seq`)).events.map((e) => e.type)).toEqual(['S1', 'S2', 'S3']);
  });

  it('fails only the append that reuses an event id; the rest of its batch lands', async () => {
    const prefix = uniqueName('dup');
    const used = randomUUID();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        store.appendToStream(`${prefix}-${i}`, [event('A', i === 2 || i === 4 ? used : undefined)], {
          expectedVersion: 'no_stream',
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
    const failed = outcomes.findIndex((o) => o.status === 'rejected');
    expect([2, 4]).toContain(failed);
    expect((outcomes[failed] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventIdError);
    for (let i = 0; i < 6; i++) await expectContiguous(`${prefix}-${i}`, i === failed ? 0 : 1);
  });

  // Real PostgreSQL only: needs a second connection holding a transaction open.
  (backend.concurrentConnections ? it : onlyWithConcurrentConnections)(
    'a unique violation against another writer fails only that append in a batch',
    async () => {
      const prefix = uniqueName('race');
      const contested = `${prefix}-contested`;
      await store.appendToStream(contested, [event('A')], { expectedVersion: 'no_stream' });

      const held = new Client({ connectionString: opened.url });
      held.on('error', () => undefined);
      await held.connect();
      try {
        await held.query('BEGIN');
        await held.query(
          `INSERT INTO events (stream_id, stream_position, event_id, type, data) VALUES ($1, 2, gen_random_uuid(), 'Held', '{}')`,
          [contested],
        );
        // The batch sees version 1 for the contested stream, then waits on the uncommitted position 2.
        const burst = Promise.allSettled([
          store.appendToStream(contested, [event('B')], { expectedVersion: 1 }),
          ...Array.from({ length: 5 }, (_, i) =>
            store.appendToStream(`${prefix}-${i}`, [event('A'), event('B')], { expectedVersion: 'no_stream' }),
          ),
        ]);
        await sleep(300);
        await held.query('COMMIT');
        const [contestedOutcome, ...others] = await burst;
        expect(contestedOutcome.status).toBe('rejected');
        expect((contestedOutcome as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
        expect(others.every((o) => o.status === 'fulfilled')).toBe(true);
      } finally {
        await held.end();
      }
      expect((await store.readStream(contested)).events.map((e) => e.type)).toEqual(['A', 'Held']);
      for (let i = 0; i < 5; i++) await expectContiguous(`${prefix}-${i}`, 2);
    },
  );
});
