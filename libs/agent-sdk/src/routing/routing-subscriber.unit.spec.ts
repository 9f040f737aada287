import { encodeMessage, TOPICS } from '@iris/contracts';
import { EmbeddedMessageBus, MessageBus, silentLogger } from '@iris/messaging';
import { AgentSdkConfigError } from '../errors';
import { IrisAgentClient } from '../iris-agent-client';
import { routingEvent, version } from '../testing/routing-tables';
import { waitFor } from '../testing/recording-bus';
import { RoutingChange, RoutingSubscriber } from './routing-subscriber';

/** In-process only (EmbeddedMessageBus); the same flow against a real broker is in routing.int.spec.ts. */

const AGENT = 'support-bot';
const topic = TOPICS.routing.name;

function publishDecision(bus: MessageBus, agent: string, revision: number, weights: { v1: number; v2: number }) {
  const event = routingEvent(agent, revision, { versions: [version('v1', weights.v1), version('v2', weights.v2, { state: 'canary' })] });
  return bus.publish(topic, [{ key: agent, value: encodeMessage(event) }]);
}

describe('RoutingSubscriber (embedded bus)', () => {
  let bus: EmbeddedMessageBus;
  const stops: Array<() => Promise<void>> = [];

  beforeEach(() => {
    bus = new EmbeddedMessageBus({ logger: silentLogger });
  });

  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await bus.close();
  });

  function subscriber(options: Partial<ConstructorParameters<typeof RoutingSubscriber>[0]> = {}): RoutingSubscriber {
    const created = new RoutingSubscriber({ bus, agents: [AGENT], ...options });
    stops.push(() => created.stop());
    return created;
  }

  it('learns the current table at once: highest revision wins; duplicates, poison and other agents are skipped', async () => {
    await bus.ensureTopics([{ topic, partitions: 3, compacted: true }]);
    await publishDecision(bus, AGENT, 1, { v1: 0.99, v2: 0.01 });
    await publishDecision(bus, AGENT, 2, { v1: 0.95, v2: 0.05 });
    await publishDecision(bus, AGENT, 1, { v1: 0.99, v2: 0.01 }); // an older revision published again
    await publishDecision(bus, 'other-agent', 9, { v1: 0.5, v2: 0.5 });
    await bus.publish(topic, [{ key: AGENT, value: '{"not":"a routing decision"' }]);

    const exact = subscriber(); // the embedded bus's end offsets are read directly
    await exact.start();
    await exact.ready();
    expect(exact.table(AGENT)?.revision).toBe(2);
    expect(exact.table('other-agent')).toBeUndefined();
    expect(exact.stats()).toMatchObject({ applied: 2, stale: 1, invalid: 1, ignored: 1, ready: true });
    expect(exact.stats().lastInvalid).toMatch(/JSON/);
    await bus.ensureTopics([{ topic: `${topic}.dlq` }]);
    expect(bus.topic(`${topic}.dlq`).partitions.flat()).toHaveLength(0); // an agent never dead-letters control records
  });

  it('is ready at once on an empty topic, then tells listeners about new revisions and removals', async () => {
    const routing = subscriber();
    const changes: RoutingChange[] = [];
    routing.onChange((change) => changes.push(change));
    routing.onChange(() => {
      throw new Error('a broken listener does not stop the others');
    });
    await routing.start();
    await routing.ready();
    expect(routing.table(AGENT)).toBeUndefined();

    await publishDecision(bus, AGENT, 5, { v1: 0.5, v2: 0.5 });
    await waitFor(() => routing.table(AGENT)?.revision === 5);
    await publishDecision(bus, AGENT, 5, { v1: 0.1, v2: 0.9 }); // same revision again: ignored
    await publishDecision(bus, AGENT, 6, { v1: 0.2, v2: 0.8 });
    await waitFor(() => routing.table(AGENT)?.revision === 6);
    await bus.publish(topic, [{ key: AGENT, value: null }]); // tombstone
    await waitFor(() => routing.table(AGENT) === undefined);
    expect(changes.map((c) => [c.table?.revision ?? null, c.previous?.revision ?? null])).toEqual([
      [5, null],
      [6, 5],
      [null, 6],
    ]);
    expect(routing.stats()).toMatchObject({ applied: 2, stale: 1, removed: 1 });
  });

  it('without end offsets, becomes ready after a quiet period', async () => {
    await publishDecision(bus, AGENT, 3, { v1: 0.5, v2: 0.5 });
    const opaque: MessageBus = {
      publish: (t, m) => bus.publish(t, m),
      subscribe: (o) => bus.subscribe(o),
      ensureTopics: (t) => bus.ensureTopics(t),
      close: async () => undefined,
    };
    const routing = new RoutingSubscriber({ bus: opaque, agents: [AGENT], settleMs: 100 });
    stops.push(() => routing.stop());
    const started = Date.now();
    await routing.start();
    await routing.ready();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(routing.table(AGENT)?.revision).toBe(3);
  });

  it('keeps retrying while the bus refuses the subscription', async () => {
    let refusals = 2;
    const flaky: MessageBus = {
      publish: (t, m) => bus.publish(t, m),
      subscribe: (o) => (refusals-- > 0 ? Promise.reject(new Error('broker unavailable')) : bus.subscribe(o)),
      ensureTopics: (t) => bus.ensureTopics(t),
      close: async () => undefined,
    };
    await publishDecision(bus, AGENT, 4, { v1: 0.5, v2: 0.5 });
    const routing = new RoutingSubscriber({ bus: flaky, agents: [AGENT], settleMs: 20, retryBackoffMinMs: 5, retryBackoffMaxMs: 10 });
    stops.push(() => routing.stop());
    await routing.start();
    await routing.ready();
    expect(routing.table(AGENT)?.revision).toBe(4);
  });
});

describe('IrisAgentClient.route() (embedded bus)', () => {
  it('falls back before a table arrives, then routes locally; a new revision moves new sessions, not pinned ones', async () => {
    const bus = new EmbeddedMessageBus({ logger: silentLogger });
    const client = IrisAgentClient.forBus(bus, { agent: AGENT, versionId: 'v1', logger: { log: () => undefined }, routing: { defaultVersionId: 'v1' } });
    try {
      expect(client.route({ sessionId: 'early' })).toMatchObject({ versionId: 'v1', reason: 'fallback', revision: 0 });
      expect(await client.ready({ timeoutMs: 5_000 })).toBe(true);
      await publishDecision(bus, AGENT, 1, { v1: 0, v2: 1 });
      await waitFor(() => client.routingTable()?.revision === 1);
      const first = client.route({ sessionId: 's1' });
      expect(first).toMatchObject({ versionId: 'v2', reason: 'weighted', revision: 1, pin: 'v2@1', endpoint: 'http://v2.agents.test:8080/' });

      await publishDecision(bus, AGENT, 2, { v1: 1, v2: 0 });
      await waitFor(() => client.routingTable()?.revision === 2);
      expect(client.route({ sessionId: 's1' })).toMatchObject({ versionId: 'v2', reason: 'pinned', revision: 2 }); // cached here
      expect(client.route({ sessionId: 's2', pinnedVersionId: 'v2' })).toMatchObject({ versionId: 'v2', reason: 'pinned' }); // pin token
      expect(client.route({ sessionId: 's3' })).toMatchObject({ versionId: 'v1', reason: 'weighted' });
      expect(client.routingStats()).toMatchObject({ applied: 2, ready: true });
    } finally {
      await client.close({ timeoutMs: 100 });
      await bus.close();
    }
  });

  it('refuses invalid routing options at construction', () => {
    const bus = new EmbeddedMessageBus({ logger: silentLogger });
    expect(() => IrisAgentClient.forBus(bus, { agent: AGENT, versionId: 'v1', routing: { agents: [] } })).toThrow(AgentSdkConfigError);
    expect(() => IrisAgentClient.forBus(bus, { agent: AGENT, versionId: 'v1', routing: { maxCachedSessions: 1 } })).toThrow(/maxCachedSessions/);
    expect(() => IrisAgentClient.forBus(bus, { agent: AGENT, versionId: 'v1', routing: { defaultVersionId: '' } })).toThrow(/defaultVersionId/);
  });

  it('without routing options, route() always serves the client version', async () => {
    const bus = new EmbeddedMessageBus({ logger: silentLogger });
    const client = IrisAgentClient.forBus(bus, { agent: AGENT, versionId: 'v7' });
    expect(client.route({ sessionId: 's1' })).toMatchObject({ versionId: 'v7', reason: 'fallback' });
    expect(await client.ready()).toBe(true);
    expect(client.routingStats()).toBeNull();
    await client.close({ timeoutMs: 100 });
    await bus.close();
  });
});
