import { uniqueName } from '@iris/testing';
import { loadCheckpoint, storeCheckpoint } from './checkpoints';
import { OutboxRelay } from './outbox-relay';
import { PostgresEventStore } from './postgres-event-store';
import { eventStoreBackends, OpenedBackend } from './test-support/backends';
import type { StoredEvent } from './types';

// jest.config.js's per-project testTimeout is not applied (Jest default 5 s): fresh databases need more.
jest.setTimeout(60_000);

const POLL_MS = 10;

async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.each(eventStoreBackends)('subscriptions and outbox relay on $name', (backend) => {
  let opened: OpenedBackend;
  let store: PostgresEventStore;

  beforeAll(async () => {
    opened = await backend.open();
    store = new PostgresEventStore(opened.dataSource);
  });
  afterAll(() => opened.close());

  /** Appends `count` events into a fresh stream; returns their types, unique to this call. */
  async function appendEvents(prefix: string, count: number): Promise<string[]> {
    const unique = uniqueName(prefix);
    const types = Array.from({ length: count }, (_, i) => `${unique}-${i}`);
    await store.appendToStream(uniqueName(prefix), types.map((type) => ({ type, data: {} })), { expectedVersion: 'any' });
    return types;
  }

  it('stores and loads a checkpoint', async () => {
    const id = uniqueName('checkpoint');
    expect(await loadCheckpoint(opened.dataSource, id)).toBeUndefined();
    await storeCheckpoint(opened.dataSource, id, 41n);
    await storeCheckpoint(opened.dataSource, id, 42n);
    expect(await loadCheckpoint(opened.dataSource, id)).toBe(42n);
  });

  it('resumes a checkpointed subscription after stop, without redelivering handled events', async () => {
    const subscriptionId = uniqueName('projection');
    const seen: string[] = [];
    const handle = async (batch: StoredEvent[]): Promise<void> => {
      seen.push(...batch.map((e) => e.type));
    };
    const before = await appendEvents('before', 5);

    const first = store.subscribe({ subscriptionId, handle, batchSize: 2, pollIntervalMs: POLL_MS });
    await eventually(() => seen.length >= 5);
    await first.stop();
    expect(seen.filter((t) => before.includes(t))).toEqual(before);

    const whileStopped = await appendEvents('stopped', 3);
    const afterFirstRun = seen.length;
    const second = store.subscribe({ subscriptionId, handle, batchSize: 2, pollIntervalMs: POLL_MS });
    await eventually(() => seen.length >= afterFirstRun + 3);
    const live = await appendEvents('live', 2);
    await eventually(() => seen.includes(live[1]));
    await second.stop();

    const expected = [...before, ...whileStopped, ...live];
    expect(seen.filter((t) => expected.includes(t))).toEqual(expected);
    expect(await loadCheckpoint(opened.dataSource, subscriptionId)).toBe(second.position);
  });

  it('stop() waits for the batch in flight and checkpoints it', async () => {
    const subscriptionId = uniqueName('slow');
    let release = (): void => undefined;
    let started = false;
    const subscription = store.subscribe({
      subscriptionId,
      pollIntervalMs: POLL_MS,
      handle: () => {
        started = true;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    await appendEvents('slow', 1);
    await eventually(() => started);

    let stopped = false;
    const stopping = subscription.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await loadCheckpoint(opened.dataSource, subscriptionId)).toBe(subscription.position);
    expect(subscription.position > 0n).toBe(true);
  });

  it('outbox relay publishes events appended while it was dead, and retries a failed publish', async () => {
    const relayId = uniqueName('relay');
    const published: string[] = [];
    const errors: unknown[] = [];

    // Appended before any relay ever ran: commit happened, publish did not.
    const beforeStart = await appendEvents('before-start', 3);

    // First relay: its broker is down, every publish throws, so nothing may be checkpointed.
    const dead = new OutboxRelay(store, {
      relayId,
      pollIntervalMs: POLL_MS,
      onError: (error) => errors.push(error),
      publish: async () => {
        throw new Error('broker unavailable');
      },
    }).start();
    await eventually(() => errors.length >= 2);
    await dead.stop();

    // Appended while no relay runs at all.
    const whileDead = await appendEvents('while-dead', 4);

    const alive = new OutboxRelay(store, {
      relayId,
      batchSize: 3,
      pollIntervalMs: POLL_MS,
      publish: async (events) => {
        published.push(...events.map((e) => e.type));
      },
    }).start();
    await eventually(() => published.includes(whileDead[3]));
    const live = await appendEvents('live', 2);
    await eventually(() => published.includes(live[1]));
    await alive.stop();

    const expected = [...beforeStart, ...whileDead, ...live];
    expect(published.filter((t) => expected.includes(t))).toEqual(expected);
  });

  it('outbox relay republishes a batch whose publish never finished (crash before checkpoint)', async () => {
    const relayId = uniqueName('relay');
    const types = await appendEvents('crash', 2);
    const attempts: string[][] = [];

    // Stopped while publish is in flight and then failing: stands in for dying mid-publish.
    let failPublish = (): void => undefined;
    const crashing = new OutboxRelay(store, {
      relayId,
      pollIntervalMs: 1_000,
      onError: () => undefined,
      publish: (events) => {
        attempts.push(events.map((e) => e.type));
        return new Promise<void>((_, reject) => (failPublish = () => reject(new Error('process died'))));
      },
    }).start();
    await eventually(() => attempts.length === 1);
    const stopping = crashing.stop();
    failPublish();
    await stopping;

    const delivered: string[] = [];
    const restarted = new OutboxRelay(store, {
      relayId,
      pollIntervalMs: POLL_MS,
      publish: async (events) => {
        delivered.push(...events.map((e) => e.type));
      },
    }).start();
    await eventually(() => types.every((t) => delivered.includes(t)));
    await restarted.stop();
    expect(delivered.filter((t) => types.includes(t))).toEqual(types);
  });
});
