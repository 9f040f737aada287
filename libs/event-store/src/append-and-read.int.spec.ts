import { randomUUID } from 'node:crypto';
import { uniqueName } from '@iris/testing';
import { ConcurrencyError, DuplicateEventIdError } from './errors';
import { PostgresEventStore } from './postgres-event-store';
import { eventStoreBackends, OpenedBackend } from './test-support/backends';
import type { NewEvent } from './types';

// jest.config.js's per-project testTimeout is not applied (Jest default 5 s): fresh databases need more.
jest.setTimeout(60_000);

const event = (type: string, data: unknown = {}, id?: string): NewEvent => ({
  id,
  type,
  data,
  metadata: { actor: 'tester', commandId: 'cmd-1', correlationId: 'corr-1' },
});

describe.each(eventStoreBackends)('PostgresEventStore appends and reads on $name', (backend) => {
  let opened: OpenedBackend;
  let store: PostgresEventStore;

  beforeAll(async () => {
    opened = await backend.open();
    store = new PostgresEventStore(opened.dataSource);
  });
  afterAll(() => opened.close());

  it('appends to a new stream and reads it back in order with metadata', async () => {
    const streamId = uniqueName('rollout');
    const result = await store.appendToStream(streamId, [event('Started', { n: 1 }), event('Advanced', { n: 2 })], {
      expectedVersion: 'no_stream',
    });
    expect(result.nextExpectedVersion).toBe(2n);
    expect(result.positions).toHaveLength(2);
    expect(result.positions[1]).toBe(result.lastGlobalPosition);
    expect(result.positions[0] < result.positions[1]).toBe(true);

    const read = await store.readStream(streamId);
    expect(read.currentVersion).toBe(2n);
    expect(read.events.map((e) => [e.type, e.data, e.streamPosition, e.globalPosition])).toEqual([
      ['Started', { n: 1 }, 1n, result.positions[0]],
      ['Advanced', { n: 2 }, 2n, result.positions[1]],
    ]);
    expect(read.events[0].metadata).toEqual({ actor: 'tester', commandId: 'cmd-1', correlationId: 'corr-1' });
    expect(read.events[0].recordedAt).toBeInstanceOf(Date);
  });

  it('appends with a numeric expected version and reads a range', async () => {
    const streamId = uniqueName('rollout');
    await store.appendToStream(streamId, [event('A'), event('B')], { expectedVersion: 'no_stream' });
    const next = await store.appendToStream(streamId, [event('C'), event('D')], { expectedVersion: 2n });
    expect(next.nextExpectedVersion).toBe(4n);
    await store.appendToStream(streamId, [event('E')], { expectedVersion: 4 });

    const range = await store.readStream(streamId, { from: 2, to: 4 });
    expect(range.events.map((e) => e.type)).toEqual(['B', 'C', 'D']);
    expect(range.currentVersion).toBe(5n);
    const limited = await store.readStream(streamId, { from: 3, maxCount: 1 });
    expect(limited.events.map((e) => e.type)).toEqual(['C']);
  });

  it('orders a long stream numerically (10 before 9 would be a text sort)', async () => {
    const streamId = uniqueName('long');
    const events = Array.from({ length: 12 }, (_, i) => event(`E${i + 1}`));
    await store.appendToStream(streamId, events, { expectedVersion: 'no_stream' });
    const read = await store.readStream(streamId, { from: 8 });
    expect(read.events.map((e) => e.streamPosition)).toEqual([8n, 9n, 10n, 11n, 12n]);
  });

  it('reads an unknown stream as version 0 with no events', async () => {
    expect(await store.readStream(uniqueName('missing'))).toEqual({ currentVersion: 0n, events: [] });
  });

  it('refuses an append at the wrong expected version with a ConcurrencyError', async () => {
    const streamId = uniqueName('rollout');
    await store.appendToStream(streamId, [event('A'), event('B')], { expectedVersion: 'no_stream' });

    const stale = store.appendToStream(streamId, [event('C')], { expectedVersion: 1 });
    await expect(stale).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(stale).rejects.toMatchObject({ code: 'CONCURRENCY_CONFLICT', streamId, expected: 1, actual: 2n });
    await expect(store.appendToStream(streamId, [event('C')], { expectedVersion: 'no_stream' })).rejects.toMatchObject({
      actual: 2n,
    });
    expect((await store.readStream(streamId)).currentVersion).toBe(2n);
  });

  it('appends with expected version "any" whatever the stream holds', async () => {
    const streamId = uniqueName('rollout');
    await store.appendToStream(streamId, [event('A')], { expectedVersion: 'any' });
    const second = await store.appendToStream(streamId, [event('B')], { expectedVersion: 'any' });
    expect(second.nextExpectedVersion).toBe(2n);
  });

  it('treats a retried append with the same event ids as already done (idempotent)', async () => {
    const streamId = uniqueName('rollout');
    const events = [event('A', { n: 1 }, randomUUID()), event('B', { n: 2 }, randomUUID())];
    const first = await store.appendToStream(streamId, events, { expectedVersion: 'no_stream' });
    await store.appendToStream(streamId, [event('C')], { expectedVersion: 2 });

    // Same command retried after the stream moved on, with the original and with "any" expected version.
    expect(await store.appendToStream(streamId, events, { expectedVersion: 'no_stream' })).toEqual(first);
    expect(await store.appendToStream(streamId, events, { expectedVersion: 'any' })).toEqual(first);
    expect((await store.readStream(streamId)).events.map((e) => e.type)).toEqual(['A', 'B', 'C']);
  });

  it('refuses event ids already used by a different append', async () => {
    const streamId = uniqueName('rollout');
    const used = randomUUID();
    await store.appendToStream(streamId, [event('A', {}, used)], { expectedVersion: 'no_stream' });

    const partlyNew = store.appendToStream(streamId, [event('A', {}, used), event('B')], { expectedVersion: 'any' });
    await expect(partlyNew).rejects.toBeInstanceOf(DuplicateEventIdError);
    const otherStream = store.appendToStream(uniqueName('other'), [event('A', {}, used)], { expectedVersion: 'any' });
    await expect(otherStream).rejects.toMatchObject({ code: 'DUPLICATE_EVENT_ID' });
  });

  it('reads all streams in global order from an exclusive position', async () => {
    const start = (await store.readAll({ fromPosition: 0, maxCount: 100_000 })).nextPosition;
    const a = uniqueName('a');
    const b = uniqueName('b');
    await store.appendToStream(a, [event('A1')], { expectedVersion: 'no_stream' });
    await store.appendToStream(b, [event('B1'), event('B2')], { expectedVersion: 'no_stream' });
    await store.appendToStream(a, [event('A2')], { expectedVersion: 1 });

    // readAll stops below the oldest transaction running anywhere on the server: another process's transaction
    // (a shared PostgreSQL) may hold it back for a moment, never reorder it.
    let first = await store.readAll({ fromPosition: start, maxCount: 3 });
    for (let i = 0; i < 200 && first.events.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      first = await store.readAll({ fromPosition: start, maxCount: 3 });
    }
    expect(first.events.map((e) => e.type)).toEqual(['A1', 'B1', 'B2']);
    const rest = await store.readAll({ fromPosition: first.nextPosition, maxCount: 3 });
    expect(rest.events.map((e) => e.type)).toEqual(['A2']);
    const none = await store.readAll({ fromPosition: rest.nextPosition });
    expect(none).toEqual({ events: [], nextPosition: rest.nextPosition });
  });

  // On PGlite (one in-process connection) the two appends are serialised by the store; the claim holds the same.
  it(
    'lets exactly one of two concurrent appends with the same expected version succeed',
    async () => {
      for (let round = 0; round < 10; round++) {
        const streamId = uniqueName('race');
        await store.appendToStream(streamId, [event('A')], { expectedVersion: 'no_stream' });
        const outcomes = await Promise.allSettled([
          store.appendToStream(streamId, [event('B1'), event('B2')], { expectedVersion: 1 }),
          store.appendToStream(streamId, [event('C1')], { expectedVersion: 1 }),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const [failure] = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(failure.reason).toBeInstanceOf(ConcurrencyError);
        const read = await store.readStream(streamId);
        expect(read.events.map((e) => Number(e.streamPosition))).toEqual(read.events.map((_, i) => i + 1));
      }
    },
  );

  it('serialises concurrent "any" appends to one stream', async () => {
    const streamId = uniqueName('any');
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.appendToStream(streamId, [event(`E${i}`)], { expectedVersion: 'any' })));
    expect((await store.readStream(streamId)).currentVersion).toBe(8n);
  });

  it('lists the streams with a prefix, matching it literally', async () => {
    const prefix = uniqueName('list');
    for (const id of [`${prefix}-b`, `${prefix}-a`, `${prefix}_x`, `${prefix}%y`, `other-${prefix}`]) await store.appendToStream(id, [event('A'), event('B')], { expectedVersion: 'no_stream' });
    expect(await store.listStreams({ prefix: `${prefix}-` })).toEqual([`${prefix}-a`, `${prefix}-b`]);
    expect(await store.listStreams({ prefix: `${prefix}_` })).toEqual([`${prefix}_x`]);
    expect(await store.listStreams({ prefix: `${prefix}%` })).toEqual([`${prefix}%y`]);
    expect(await store.listStreams({ prefix: uniqueName('none') })).toEqual([]);
  });
});
