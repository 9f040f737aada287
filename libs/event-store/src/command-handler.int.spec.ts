import { randomUUID } from 'node:crypto';
import { uniqueName } from '@iris/testing';
import { CommandHandler, ConcurrencyRetriesExhaustedError, type Decision, type EventStreamStore } from './command-handler';
import { ConcurrencyError, DuplicateEventIdError } from './errors';
import { PostgresEventStore } from './postgres-event-store';
import { eventStoreBackends, OpenedBackend } from './test-support/backends';
import type { AppendOptions, NewEvent, StoredEvent } from './types';

jest.setTimeout(60_000);

/** A counter aggregate: `Added` events carry how much they add. */
const counter = {
  initialState: () => ({ total: 0, adds: 0 }),
  evolve: (state: { total: number; adds: number }, event: StoredEvent) =>
    event.type === 'Added' ? { total: state.total + (event.data as { by: number }).by, adds: state.adds + 1 } : state,
};
const added = (by: number, id?: string): NewEvent => ({ id, type: 'Added', data: { by } });
/** Adds 1 unless the total already reached `limit`; returns the total it decided on. */
const addUpTo =
  (limit: number) =>
  (state: { total: number }): Decision<number> =>
    state.total >= limit ? { events: [], result: state.total } : { events: [added(1)], result: state.total };

/**
 * The real store, with another writer that wins the race: before each of this handler's first `racesLost`
 * appends, it appends an event of its own to the same stream (between the handler's read and its append).
 */
function withRival(store: PostgresEventStore, racesLost: number) {
  const calls = { appends: 0 };
  const racing: EventStreamStore = {
    readStream: (streamId, options) => store.readStream(streamId, options),
    async appendToStream(streamId: string, events: NewEvent[], options: AppendOptions) {
      calls.appends++;
      if (calls.appends <= racesLost) await store.appendToStream(streamId, [added(10)], { expectedVersion: 'any' });
      return store.appendToStream(streamId, events, options);
    },
  };
  return { racing, calls };
}

describe.each(eventStoreBackends)('CommandHandler on $name', (backend) => {
  let opened: OpenedBackend;
  let store: PostgresEventStore;

  beforeAll(async () => {
    opened = await backend.open();
    store = new PostgresEventStore(opened.dataSource);
  });
  afterAll(() => opened.close());

  it('decides again on the fresh state after losing a race, and appends once', async () => {
    const streamId = uniqueName('counter');
    const { racing, calls } = withRival(store, 1);
    const decided: number[] = [];
    const handler = new CommandHandler(racing, { ...counter, retryDelayMs: () => 1 });

    const outcome = await handler.handle(streamId, (state) => {
      decided.push(state.total);
      return addUpTo(100)(state);
    });

    expect(decided).toEqual([0, 10]); // the second decision saw the rival's event
    expect(calls.appends).toBe(2);
    expect(outcome).toMatchObject({ result: 10, version: 2n, state: { total: 11, adds: 2 } });
    expect(outcome.appended.map((e) => [e.type, e.streamPosition])).toEqual([['Added', 2n]]);
    const { events } = await store.readStream(streamId);
    expect(events.map((e) => e.data)).toEqual([{ by: 10 }, { by: 1 }]);
    expect(events[1]!.eventId).toBe(outcome.appended[0]!.eventId);
  });

  it('passes any other error through at once: neither a refusal of the decider nor a store error is retried', async () => {
    const streamId = uniqueName('counter');
    const { racing, calls } = withRival(store, 0);
    const handler = new CommandHandler(racing, counter);
    let decisions = 0;
    const refusal = new Error('refused by the rules');
    await expect(
      handler.handle(streamId, () => {
        decisions++;
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(decisions).toBe(1);

    const taken = randomUUID();
    await store.appendToStream(uniqueName('other'), [added(1, taken)], { expectedVersion: 'no_stream' });
    await expect(handler.handle(streamId, () => ({ events: [added(1, taken)], result: undefined }))).rejects.toBeInstanceOf(DuplicateEventIdError);
    expect(calls.appends).toBe(1);
    expect((await store.readStream(streamId)).currentVersion).toBe(0n);
  });

  it('gives up after maxAttempts lost races with ConcurrencyRetriesExhaustedError (a ConcurrencyError: 503 over HTTP)', async () => {
    const streamId = uniqueName('counter');
    const { racing, calls } = withRival(store, Number.POSITIVE_INFINITY);
    const delays: number[] = [];
    const handler = new CommandHandler(racing, { ...counter, maxAttempts: 3, retryDelayMs: (attempt) => (delays.push(attempt), 1) });

    const error = await handler.handle(streamId, addUpTo(1_000)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConcurrencyRetriesExhaustedError);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error).toMatchObject({ attempts: 3, streamId });
    expect(calls.appends).toBe(3);
    expect(delays).toEqual([1, 2]); // a jittered wait between attempts, none after the last
    const { events } = await store.readStream(streamId);
    expect(events.map((e) => e.data)).toEqual([{ by: 10 }, { by: 10 }, { by: 10 }]); // only the rival's
  });

  it('does not retry a command pinned to a version', async () => {
    const streamId = uniqueName('counter');
    await store.appendToStream(streamId, [added(1)], { expectedVersion: 'no_stream' });
    const handler = new CommandHandler(store, counter);
    await expect(handler.handle(streamId, addUpTo(100), { expectedVersion: 0n })).rejects.toMatchObject({ expected: 0n, actual: 1n });
    await expect(handler.handle(streamId, addUpTo(100), { expectedVersion: 1n })).resolves.toMatchObject({ version: 2n, state: { total: 2 } });

    const { racing, calls } = withRival(store, 1);
    const pinned = new CommandHandler(racing, counter);
    await expect(pinned.handle(streamId, addUpTo(100), { expectedVersion: 2n })).rejects.toBeInstanceOf(ConcurrencyError);
    expect(calls.appends).toBe(1);
  });

  it('with cacheStates, reads only the events appended since the state it holds', async () => {
    const streamId = uniqueName('counter');
    const reads: Array<bigint | number | undefined> = [];
    const observed: EventStreamStore = {
      readStream: (id, options) => (reads.push(options?.from), store.readStream(id, options)),
      appendToStream: (id, events, options) => store.appendToStream(id, events, options),
    };
    const handler = new CommandHandler(observed, { ...counter, cacheStates: true });
    await handler.handle(streamId, addUpTo(100));
    await store.appendToStream(streamId, [added(5)], { expectedVersion: 1n }); // another instance
    expect(await handler.load(streamId)).toMatchObject({ version: 2n, state: { total: 6 } });
    expect(reads).toEqual([1n, 2n]);
    expect(handler.cachedStreams()).toEqual([streamId]);
  });
});
