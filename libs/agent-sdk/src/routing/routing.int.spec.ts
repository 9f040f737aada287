import { encodeMessage } from '@iris/contracts';
import { KafkaMessageBus, silentLogger } from '@iris/messaging';
import { uniqueName } from '@iris/testing';
import { IrisAgentClient } from '../iris-agent-client';
import { AgentSdkLogger } from '../logger';
import { waitFor } from '../testing/recording-bus';
import { iso, routingDecision, routingEvent, sessionIds, version } from '../testing/routing-tables';
import { route } from './route';

/** Integration: real Kafka (KAFKA_BROKERS or the global setup's broker), a unique compacted routing topic. */

const quietLogger: AgentSdkLogger = { log: () => undefined };
const MINUTE = 60_000;

describe('routing over Kafka', () => {
  const brokers = process.env.KAFKA_BROKERS!;
  const topic = uniqueName('iris.routing.test');
  const agent = uniqueName('routing-agent');
  const t0 = Date.now() - 30 * MINUTE;
  const e1 = { revision: 1, effectiveAt: iso(t0), weights: { v1: 0.9, v2: 0.1 } };
  const e2 = { revision: 2, effectiveAt: iso(t0 + 20 * MINUTE), weights: { v1: 0.5, v2: 0.5 } };
  const rev1 = { versions: [version('v1', 0.9), version('v2', 0.1, { state: 'canary' })], epochs: [e1] };
  const rev2 = { versions: [version('v1', 0.5), version('v2', 0.5, { state: 'canary' })], epochs: [e1, e2] };
  let producer: KafkaMessageBus;
  const clients: IrisAgentClient[] = [];

  const newClient = () => {
    const client = IrisAgentClient.forKafka({ brokers, agent, versionId: 'v1', logger: quietLogger, routing: { topic } });
    clients.push(client);
    return client;
  };
  const publish = (events: Array<{ key: string; value: Buffer | string | null }>) => producer.publish(topic, events);

  beforeAll(async () => {
    producer = new KafkaMessageBus({ connection: { brokers: brokers.split(','), clientId: uniqueName('routing-test-producer') }, logger: silentLogger });
    await producer.ensureTopics([{ topic, partitions: 3, compacted: true }]);
    await publish([
      { key: agent, value: encodeMessage(routingEvent(agent, 1, rev1)) },
      { key: agent, value: encodeMessage(routingEvent(agent, 2, rev2)) },
      { key: agent, value: encodeMessage(routingEvent(agent, 1, rev1)) }, // an older revision, published again
      { key: agent, value: 'not json at all' }, // poison
      { key: 'another-agent', value: encodeMessage(routingEvent('another-agent', 7, rev1)) },
    ]);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close({ timeoutMs: 1_000 })));
    await producer?.close();
  });

  it('a fresh client becomes ready with the latest table and routes by it, locally', async () => {
    const readiness: string[] = [];
    const logger: AgentSdkLogger = { log: (_level, message, fields) => void (message === 'routing ready' && readiness.push(String(fields?.why))) };
    const client = IrisAgentClient.forKafka({ brokers, agent, versionId: 'v1', logger, routing: { topic } });
    clients.push(client);
    expect(client.route({ sessionId: 'before-ready' })).toMatchObject({ versionId: 'v1', reason: 'fallback', revision: 0 });
    expect(await client.ready({ timeoutMs: 60_000 })).toBe(true);
    // Ready because it reached the end offsets read at start, not after a quiet period (how long it took is not asserted here).
    expect(readiness).toEqual(['caught up with the end offsets at start']);
    expect(client.routingTable()?.revision).toBe(2);
    expect(client.routingStats()).toMatchObject({ applied: 2, stale: 1, invalid: 1, ignored: 1, ready: true });

    const decisions = sessionIds(4_000, 'new').map((sessionId) => client.route({ sessionId }));
    expect(decisions.every((d) => d.revision === 2 && d.reason === 'weighted')).toBe(true);
    expect(Math.abs(decisions.filter((d) => d.versionId === 'v2').length / decisions.length - 0.5)).toBeLessThan(0.05);
    // a session started under revision 1 keeps the version revision 1 gave it
    const rev1Decision = routingDecision(agent, 1, rev1);
    for (const sessionId of sessionIds(500, 'old')) {
      const then = route(rev1Decision, { agent, sessionId }, t0 + MINUTE).versionId;
      expect(client.route({ sessionId, sessionStartedAt: t0 + MINUTE }).versionId).toBe(then);
    }
  });

  it('a later revision changes the answers for new sessions, not for pinned ones', async () => {
    const client = newClient();
    expect(await client.ready({ timeoutMs: 60_000 })).toBe(true);
    const sessions = sessionIds(300, 'pinned');
    const before = sessions.map((sessionId) => client.route({ sessionId }));
    expect(new Set(before.map((d) => d.versionId))).toEqual(new Set(['v1', 'v2']));

    const e3 = { revision: 3, effectiveAt: iso(Date.now()), weights: { v2: 1 } };
    await publish([
      {
        key: agent,
        value: encodeMessage(
          routingEvent(agent, 3, { versions: [version('v1', 0, { state: 'draining' }), version('v2', 1)], epochs: [e1, e2, e3] }),
        ),
      },
    ]);
    await waitFor(() => client.routingTable()?.revision === 3, 30_000, 'revision 3');

    sessions.forEach((sessionId, i) => {
      expect(client.route({ sessionId })).toMatchObject({ versionId: before[i].versionId, revision: 3 }); // cached here
    });
    const other = newClient(); // another instance: pins travel with the session, no shared state
    expect(await other.ready({ timeoutMs: 60_000 })).toBe(true);
    expect(other.routingTable()?.revision).toBe(3);
    sessions.forEach((sessionId, i) => {
      expect(other.route({ sessionId, pinnedVersionId: before[i].pin })).toMatchObject({ versionId: before[i].versionId, reason: 'pinned' });
    });
    expect(sessionIds(500, 'after').every((sessionId) => client.route({ sessionId }).versionId === 'v2')).toBe(true);
  });
});
