import { EXAMPLES, type EventOf } from '@iris/contracts';
import { createEventStoreDataSource, PostgresEventStore, type EventStreamStore } from '@iris/event-store';
import { createFreshDatabase, DEFAULT_DATABASE_URL, dropDatabase, uniqueName } from '@iris/testing';
import type { DataSource } from 'typeorm';
import { RolloutConflictError, type RolloutCommand } from './domain';
import { at, healthySnapshot, externalGate, start } from './domain/testing/builders';
import { PromotionRequiredError, UnregisteredVersionError } from './errors';
import { PromotionLedger } from './promotion-ledger';
import { RolloutCommandHandler } from './rollout-command-handler';
import { rolloutStreamId } from './rollout-log';
import { VersionCatalog } from './version-catalog';

jest.setTimeout(60_000);

const adminUrl = () => process.env.IRIS_ADMIN_DATABASE_URL ?? DEFAULT_DATABASE_URL;
const GATES = { external: [{ name: 'quality', min: 0.8 }, { name: 'safety', min: 0.9 }] };

describe('RolloutCommandHandler on PostgreSQL', () => {
  let url: string;
  let dataSource: DataSource;
  let store: PostgresEventStore;

  beforeAll(async () => {
    url = await createFreshDatabase(adminUrl(), 'iris_rollouts');
    dataSource = await createEventStoreDataSource({ url }).initialize();
    store = new PostgresEventStore(dataSource);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(url, adminUrl());
  });

  const domainTypes = async (agent: string) => (await store.readStream(rolloutStreamId('production', agent))).events.map((e) => e.type).filter((t) => !t.includes('.'));

  it('decides a plan of several commands on one state and appends it once; a refusal anywhere in it appends nothing', async () => {
    const agent = uniqueName('agent');
    const appends: number[] = [];
    const counted: EventStreamStore = {
      readStream: (streamId, options) => store.readStream(streamId, options),
      appendToStream: (streamId, events, options) => (appends.push(events.length), store.appendToStream(streamId, events, options)),
    };
    const handler = new RolloutCommandHandler(counted, new VersionCatalog(), 'production');
    const started = await handler.execute(agent, start(0, { gates: GATES }));

    const recorded = await handler.executePlan(agent, (state) => ({
      commands: state.rollout!.gates.external.map((gate) => externalGate(1, { name: gate.name, value: 0.95 })),
      result: 'planned',
    }));
    expect(recorded.result).toBe('planned');
    expect(recorded.events.map((e) => e.type)).toEqual(['ExternalGateRecorded', 'ExternalGateRecorded']);
    const { events } = await store.readStream(rolloutStreamId('production', agent), { from: started.version + 1n });
    expect(appends).toHaveLength(2); // the start, then the whole plan in one append
    expect(appends[1]).toBe(events.length); // both gate results and their contract events
    expect(recorded.version).toBe(started.version + BigInt(events.length));

    const before = await domainTypes(agent);
    const refused = handler.executePlan(agent, () => ({ commands: [externalGate(2, { name: 'quality', value: 0.99 }), start(2, { candidateVersionId: 'v3' }) as RolloutCommand], result: undefined }));
    await expect(refused).rejects.toBeInstanceOf(RolloutConflictError);
    expect(appends).toHaveLength(2);
    expect(await domainTypes(agent)).toEqual(before);
  });

  it('stamps each attempt with the time it decides plus the propagation allowance: a window judged late still changes the weights from then, and the stored table says so', async () => {
    const agent = uniqueName('agent');
    let now = Date.parse(at(30)); // the window below ended 20 minutes earlier
    const handler = new RolloutCommandHandler(store, new VersionCatalog(), 'production', undefined, { propagationAllowanceMs: 700, clock: () => now });
    await handler.execute(agent, start(0));
    now += 1_000;
    const { events } = await handler.execute(agent, healthySnapshot(10, 0));
    const changed = events.find((e) => e.type === 'RoutingTableChanged');
    expect(changed?.type === 'RoutingTableChanged' && changed.data.table.epochs.map((e) => e.effectiveAt)).toEqual([new Date(Date.parse(at(30)) + 700).toISOString(), new Date(now + 700).toISOString()]);
    const stored = (await store.readStream(rolloutStreamId('production', agent))).events.filter((e) => e.type === 'RoutingTableChanged').slice(-1)[0]!;
    expect(stored.data).toEqual(JSON.parse(JSON.stringify(changed!.data)));
    expect(stored.metadata).toMatchObject({ at: at(10) }); // the judgement stays dated by its window
  });

  it('applies the start rules before deciding: registered versions only, and the upstream completion as promotion evidence', async () => {
    const agent = uniqueName('agent');
    const catalog = new VersionCatalog();
    const promotions = new PromotionLedger('staging');
    const handler = new RolloutCommandHandler(store, catalog, 'production', { requireRegisteredVersions: true, promotions });
    const registered = (versionId: string) =>
      catalog.record({ ...EXAMPLES['registry.version.registered'], data: { ...EXAMPLES['registry.version.registered'].data, agent, versionId } } as EventOf<'registry.version.registered'>);

    await expect(handler.execute(agent, start(0))).rejects.toMatchObject({ field: 'candidateVersionId' });
    registered('v2');
    await expect(handler.execute(agent, start(0))).rejects.toMatchObject({ field: 'baselineVersionId' });
    await expect(handler.execute(agent, start(0))).rejects.toBeInstanceOf(UnregisteredVersionError);
    registered('v1');
    await expect(handler.execute(agent, start(0))).rejects.toBeInstanceOf(PromotionRequiredError);
    expect(await domainTypes(agent)).toEqual([]);

    promotions.record({
      ...EXAMPLES['rollout.event'],
      environment: 'staging',
      occurredAt: '2025-01-30T12:00:00.000Z',
      data: { rolloutId: 'r-staging', agent, kind: 'rollout-completed', detail: { candidateVersionId: 'v2' } },
    } as EventOf<'rollout.event'>);
    const { events } = await handler.execute(agent, start(0));
    expect(events[0]).toMatchObject({ type: 'RolloutStarted', data: { promotedFrom: { environment: 'staging', rolloutId: 'r-staging', completedAt: '2025-01-30T12:00:00.000Z' } } });
  });
});
