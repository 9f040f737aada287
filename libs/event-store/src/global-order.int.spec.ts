import { Client } from 'pg';
import { uniqueName } from '@iris/testing';
import { PostgresEventStore } from './postgres-event-store';
import { OpenedBackend, postgresBackend } from './test-support/backends';
import type { StoredEvent } from './types';

const WRITERS = 16;
const EVENTS_PER_WRITER = 500;
const TOTAL = WRITERS * EVENTS_PER_WRITER + 1; // + the one in the held-open transaction

// Explicit: the integration project's `testTimeout` in jest.config.js is not applied per project (Jest default 5 s).
const TEST_TIMEOUT_MS = 90_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Real PostgreSQL only: PGlite is a single connection, so it cannot hold one transaction open while others commit.
describe('readAll under concurrent writers on postgres', () => {
  let opened: OpenedBackend;
  let store: PostgresEventStore;

  beforeAll(async () => {
    opened = await postgresBackend.open();
    store = new PostgresEventStore(opened.dataSource);
  });
  afterAll(() => opened.close());

  it('a tailing reader sees every event exactly once, even one committed late with a lower position', async () => {
    const runId = uniqueName('run');
    let committedByWriters = 0;
    let writersDone = false;

    const seen: StoredEvent[] = [];
    const readerDeadline = Date.now() + 100_000;
    const reader = (async () => {
      let position = 0n;
      while (seen.length < TOTAL && Date.now() < readerDeadline) {
        const page = await store.readAll({ fromPosition: position, maxCount: 500 });
        seen.push(...page.events);
        position = page.nextPosition;
        if (page.events.length === 0) await sleep(2);
      }
    })();

    const writer = async (w: number): Promise<void> => {
      const streamId = `${runId}-writer-${w}`;
      for (let i = 0; i < EVENTS_PER_WRITER; i++) {
        await store.appendToStream(streamId, [{ type: 'Written', data: { w, i } }], { expectedVersion: i });
        committedByWriters++;
      }
    };
    const writers = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w))).finally(() => (writersDone = true));

    // BEGIN; INSERT one event; keep the transaction open while the writers commit many more.
    const held = new Client({ connectionString: opened.url });
    held.on('error', () => undefined); // the database is force-dropped in afterAll
    await held.connect();
    let heldPosition: bigint;
    let seenBeforeCommit: StoredEvent[];
    try {
      while (committedByWriters < 800 && !writersDone) await sleep(1);
      await held.query('BEGIN');
      await held.query('SELECT pg_current_xact_id()'); // the transaction id exists before its position is drawn
      const [row] = (
        await held.query(
          `INSERT INTO events (stream_id, stream_position, event_id, type, data)
           VALUES ($1, 1, gen_random_uuid(), 'Held', '{}') RETURNING global_position::text AS global_position`,
          [`${runId}-held`],
        )
      ).rows;
      heldPosition = BigInt(row.global_position);
      while (!writersDone) await sleep(5);
      await sleep(200); // let the reader poll while the transaction is still open
      seenBeforeCommit = [...seen];
      await held.query('COMMIT');
    } finally {
      await held.end();
    }
    await writers;
    await reader;

    // Nothing past the open transaction was handed out before it committed (or it would have been skipped).
    expect(seenBeforeCommit.every((e) => e.globalPosition < heldPosition)).toBe(true);
    expect(seenBeforeCommit.length).toBeLessThan(TOTAL);

    const ours = seen.filter((e) => e.streamId.startsWith(runId));
    expect(ours).toHaveLength(TOTAL);
    expect(new Set(ours.map((e) => e.eventId)).size).toBe(TOTAL);
    for (let i = 1; i < seen.length; i++) expect(seen[i].globalPosition > seen[i - 1].globalPosition).toBe(true);

    const heldEvent = ours.find((e) => e.type === 'Held');
    expect(heldEvent?.globalPosition).toBe(heldPosition);
    const writerPositions = ours.filter((e) => e.type === 'Written').map((e) => e.globalPosition);
    expect(writerPositions.filter((p) => p > heldPosition).length).toBeGreaterThan(0); // they committed first

    const byStream = new Map<string, bigint[]>();
    for (const e of ours) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.streamPosition]);
    expect(byStream.size).toBe(WRITERS + 1);
    for (let w = 0; w < WRITERS; w++) {
      expect(byStream.get(`${runId}-writer-${w}`)).toEqual(Array.from({ length: EVENTS_PER_WRITER }, (_, i) => BigInt(i + 1)));
    }
  }, TEST_TIMEOUT_MS);
});
