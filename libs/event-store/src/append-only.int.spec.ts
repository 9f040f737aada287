import { uniqueName } from '@iris/testing';
import { PostgresEventStore } from './postgres-event-store';
import { eventStoreBackends, OpenedBackend } from './test-support/backends';

// jest.config.js's per-project testTimeout is not applied (Jest default 5 s): fresh databases need more.
jest.setTimeout(60_000);

describe.each(eventStoreBackends)('events table on $name', (backend) => {
  let opened: OpenedBackend;
  let store: PostgresEventStore;

  beforeAll(async () => {
    opened = await backend.open();
    store = new PostgresEventStore(opened.dataSource);
    await store.appendToStream(uniqueName('s'), [{ type: 'A', data: { n: 1 } }], { expectedVersion: 'no_stream' });
  });
  afterAll(() => opened.close());

  it.each([
    ['UPDATE', `UPDATE events SET type = 'Changed'`],
    ['UPDATE', `UPDATE events SET type = 'Changed' WHERE false`],
    ['DELETE', `DELETE FROM events`],
    ['TRUNCATE', `TRUNCATE events`],
  ])('refuses %s in the database itself: %s', async (operation, sql) => {
    await expect(opened.dataSource.query(sql)).rejects.toThrow(`events is append-only: ${operation} is not allowed`);
    expect((await store.readAll({ maxCount: 10 })).events.map((e) => e.type)).toEqual(['A']);
  });

  it('migrates down to nothing and back up', async () => {
    const tables = async (): Promise<string[]> =>
      (
        await opened.dataSource.query(
          `SELECT table_name FROM information_schema.tables
           WHERE table_schema = 'public' AND table_name IN ('events', 'subscription_checkpoints') ORDER BY table_name`,
        )
      ).map((row: { table_name: string }) => row.table_name);

    await opened.dataSource.undoLastMigration();
    expect(await tables()).toEqual([]);
    expect(await opened.dataSource.showMigrations()).toBe(true);

    await opened.dataSource.runMigrations();
    expect(await tables()).toEqual(['events', 'subscription_checkpoints']);
    const streamId = uniqueName('after-migrations');
    await store.appendToStream(streamId, [{ type: 'B', data: {} }], { expectedVersion: 'no_stream' });
    expect((await store.readStream(streamId)).currentVersion).toBe(1n);
    await expect(opened.dataSource.query(`DELETE FROM events`)).rejects.toThrow('append-only');
  });
});
