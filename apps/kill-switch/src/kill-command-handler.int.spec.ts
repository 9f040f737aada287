import { decodeFromTopic, encodeMessage, TOPICS } from '@iris/contracts';
import { createEventStoreDataSource, PostgresEventStore, type EventStreamStore } from '@iris/event-store';
import { toContractEvent } from '@iris/runtime';
import { createFreshDatabase, DEFAULT_DATABASE_URL, dropDatabase, uniqueName } from '@iris/testing';
import type { DataSource } from 'typeorm';
import { KillSwitchError, type KillSwitchCommand } from './domain';
import { KillAdmission } from './kill-admission';
import { KillCommandHandler } from './kill-command-handler';
import { RoutingView } from './routing-view';
import { VersionCatalog } from './version-catalog';
import { routingDecisionEvent, registeredEvent } from './testing/fixtures';

jest.setTimeout(60_000);

const adminUrl = () => process.env.IRIS_ADMIN_DATABASE_URL ?? DEFAULT_DATABASE_URL;
let n = 0;
const meta = () => ({ commandId: `c-${++n}`, actor: 'olga', at: new Date().toISOString() });

describe('KillCommandHandler on PostgreSQL', () => {
  let url: string;
  let dataSource: DataSource;
  let store: PostgresEventStore;

  beforeAll(async () => {
    url = await createFreshDatabase(adminUrl(), 'iris_kills');
    dataSource = await createEventStoreDataSource({ url }).initialize();
    store = new PostgresEventStore(dataSource);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(url, adminUrl());
  });

  function handlerFor(environment: string, backing: EventStreamStore = store) {
    const catalog = new VersionCatalog();
    const routing = new RoutingView(environment);
    for (const v of ['v1', 'v2']) catalog.record(registeredEvent('bot', v));
    routing.record(routingDecisionEvent('bot', environment));
    return new KillCommandHandler(backing, environment, new KillAdmission(catalog, routing, true));
  }

  it('one append carries the domain events and the whole kill set as killswitch.set; a fresh handler rebuilds the same state from the log', async () => {
    const environment = uniqueName('env').toLowerCase();
    const appends: number[] = [];
    const counted: EventStreamStore = {
      readStream: (streamId, options) => store.readStream(streamId, options),
      appendToStream: (streamId, events, options) => (appends.push(events.length), store.appendToStream(streamId, events, options)),
    };
    const handler = handlerFor(environment, counted);
    await handler.execute({ type: 'EngageKill', data: { killId: 'k-1', scope: { agent: 'bot', versionId: 'v2' }, reason: 'r' }, metadata: meta() });
    const { state } = await handler.execute({ type: 'SetFallback', data: { agent: 'bot', versionId: 'v1' }, metadata: meta() });
    expect(appends).toEqual([3, 3]); // KillEngaged + KillSetRevised + killswitch.set; FallbackSet + KillSetRevised + killswitch.set

    const { events } = await store.readStream(handler.streamId);
    const published = events.map(toContractEvent).filter((e) => e !== undefined);
    expect(published.map((e) => e!.type)).toEqual(['killswitch.set', 'killswitch.set']);
    const last = decodeFromTopic(TOPICS.killswitch, encodeMessage(published[1]!));
    expect(last).toMatchObject({ environment, data: { revision: 2, kills: [{ killId: 'k-1', actor: 'olga' }], fallbacks: [{ agent: 'bot', versionId: 'v1' }], change: 'fallback of bot set to v1' } });

    expect((await handlerFor(environment).load()).state).toEqual(state);
  });

  it('refuses unknown names before deciding and stranding kills after, appending nothing', async () => {
    const environment = uniqueName('env').toLowerCase();
    const handler = handlerFor(environment);
    const refusal = async (command: KillSwitchCommand) => handler.execute(command).then(() => undefined, (error: unknown) => (error as KillSwitchError).code);
    expect(await refusal({ type: 'EngageKill', data: { killId: 'k', scope: { agent: 'bot', versionId: 'v9' }, reason: 'r' }, metadata: meta() })).toBe('UNKNOWN_VERSION');
    expect(await refusal({ type: 'EngageKill', data: { killId: 'k', scope: { agent: 'ghost' }, reason: 'r' }, metadata: meta() })).toBe('UNKNOWN_AGENT');
    await handler.execute({ type: 'EngageKill', data: { killId: 'k-2', scope: { agent: 'bot', versionId: 'v2' }, reason: 'r' }, metadata: meta() });
    expect(await refusal({ type: 'EngageKill', data: { killId: 'k-1', scope: { agent: 'bot', versionId: 'v1' }, reason: 'r' }, metadata: meta() })).toBe('NO_ROUTE_LEFT');
    expect((await store.readStream(handler.streamId)).currentVersion).toBe(3n);
    await handler.execute({ type: 'EngageKill', data: { killId: 'k-1', scope: { agent: 'bot', versionId: 'v1' }, reason: 'r', allowNoRoute: true }, metadata: meta() });
    expect((await handler.load()).state.kills.map((k) => k.killId)).toEqual(['k-2', 'k-1']);
  });

  it('concurrent commands on two instances all land, each on the state the other left (revisions 1..n, no gap)', async () => {
    const environment = uniqueName('env').toLowerCase();
    const [a, b] = [handlerFor(environment), handlerFor(environment)];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).execute({ type: 'EngageKill', data: { killId: `k-${i}`, scope: { tenant: `t-${i}` }, reason: 'r' }, metadata: meta() })),
    );
    const { state } = await handlerFor(environment).load();
    expect(state.revision).toBe(10);
    expect(state.kills.map((k) => k.killId).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k-${i}`).sort());
  });

  it('re-publishes the current set as a contract event without changing the revision', async () => {
    const environment = uniqueName('env').toLowerCase();
    const handler = handlerFor(environment);
    await handler.execute({ type: 'EngageKill', data: { killId: 'k', scope: { feature: 'refunds' }, reason: 'r' }, metadata: meta() });
    await handler.republish('kill-switch/republish');
    const { events } = await store.readStream(handler.streamId);
    const sets = events.map(toContractEvent).filter((e) => e?.type === 'killswitch.set');
    expect(sets.map((e) => (e!.data as { revision: number }).revision)).toEqual([1, 1]);
    expect(sets[1]!.eventId).not.toBe(sets[0]!.eventId);
    expect((await handler.load()).state.revision).toBe(1);
  });
});
