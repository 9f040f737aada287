import { IrisAgentClient } from '@iris/agent-sdk';
import { KafkaMessageBus, silentLogger, type MessageBus } from '@iris/messaging';
import { createFreshDatabase, dropDatabase, uniqueName } from '@iris/testing';
import { freePort, spawnService, ServiceProcess, stopServices, waitUntilReady } from '../support/service-process';
import { ensureIrisTopics } from '../support/telemetry-stream';
import { AUTH_TOKENS, call, ContractPublisher, followRouting, OPERATOR_TOKEN, registered, snapshot, stateOf, weightOf } from '../support/rollout-stream';

/**
 * docs/routing.md promises that every instance holding the routing table places a session the same way. Three SDK
 * instances follow iris.routing.v1 while the rollout controller (its own process) moves a candidate 10 % → 30 % →
 * 60 % on judged metrics windows and then rolls it back on a failing one. Each window is judged LATENESS_MS after
 * it ended, as the aggregator's default allowed lateness makes it. One instance receives every table LAG_MS
 * late (it keeps placing under the old weights meanwhile). All place new sessions live the whole time (no pin
 * token, no shared cache); afterwards each instance places the others' sessions by their start time alone. Every
 * answer must equal the live placement.
 */
const LATENESS_MS = 5_000;
const ALLOWANCE_MS = 1_500;
const LAG_MS = 400;
/** Sessions each instance starts per tick (every TICK_MS). */
const PER_TICK = 10;
const TICK_MS = 5;
const adminUrl = () => process.env.IRIS_ADMIN_DATABASE_URL!;

/** The same broker, with every batch of records handed to the subscriber `lagMs` late: an instance a moment behind. */
function lagging(bus: MessageBus, lagMs: number): MessageBus {
  return {
    publish: (topic, messages) => bus.publish(topic, messages),
    subscribe: (options) => bus.subscribe({ ...options, handleBatch: async (messages) => (await new Promise((r) => setTimeout(r, lagMs)), options.handleBatch(messages)) }),
    ensureTopics: (topics) => bus.ensureTopics(topics),
    close: () => bus.close(),
  };
}

interface Placed {
  sessionId: string;
  startedAtMs: number;
  versionId: string;
}

interface Arrival {
  instance: string;
  revision: number;
  receivedAtMs: number;
  /** When the table's newest weights take effect. */
  effectiveAtMs: number;
}

/** One agent instance placing new sessions live: the session id and the exact millisecond route() placed it at. */
class LiveInstance {
  readonly placed: Placed[] = [];
  readonly arrivals: Arrival[] = [];
  private next = 0;

  constructor(
    readonly name: string,
    readonly client: IrisAgentClient,
  ) {
    client.onRoutingChange(({ table }) => {
      if (!table) return;
      const newest = table.epochs[table.epochs.length - 1];
      this.arrivals.push({ instance: name, revision: table.revision, receivedAtMs: Date.now(), effectiveAtMs: newest?.effectiveAtMs ?? Number.NaN });
    });
  }

  startSessions(count: number): void {
    for (let i = 0; i < count; i++) {
      const sessionId = `${this.name}-${this.next++}`;
      const before = Date.now();
      const decision = this.client.route({ sessionId });
      // route() reads the clock itself: keep the session only when its millisecond is known exactly
      if (Date.now() === before) this.placed.push({ sessionId, startedAtMs: before, versionId: decision.versionId! });
    }
  }

  /** The other instance's sessions as this one places them now, by start time alone (it never saw them). */
  disagreementsWith(other: LiveInstance): Placed[] {
    return other.placed.filter((s) => this.client.route({ sessionId: s.sessionId, sessionStartedAt: s.startedAtMs }).versionId !== s.versionId);
  }
}

const waitUntil = async (predicate: () => boolean, what: string, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sessions placed alike on every instance (real broker, controller from dist/)', () => {
  const running: ServiceProcess[] = [];
  const clients: IrisAgentClient[] = [];
  const buses: MessageBus[] = [];
  let publisher: ContractPublisher;
  let databaseUrl: string;
  let controller: string;

  beforeAll(async () => {
    await ensureIrisTopics();
    publisher = await ContractPublisher.connect();
    databaseUrl = await createFreshDatabase(adminUrl(), 'iris_placement');
    const port = await freePort();
    running.push(
      spawnService('rollout-controller', {
        IRIS_MODE: 'kafka',
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        IRIS_AUTH_TOKENS: AUTH_TOKENS,
        ROLLOUT_CONSUMER_GROUP: uniqueName('rollout-controller'),
        ROLLOUT_ROUTING_PROPAGATION_ALLOWANCE_MS: String(ALLOWANCE_MS),
        LOG_LEVEL: 'warn',
        KAFKA_SESSION_TIMEOUT_MS: '6000',
      }),
    );
    controller = `http://127.0.0.1:${port}`;
    await waitUntilReady(controller);
  });

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 2_000 })));
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
    await stopServices(running);
    await publisher.close();
    await dropDatabase(databaseUrl, adminUrl());
  });

  const startRollout = async (agent: string, body: Record<string, unknown>) => {
    let response = await call(controller, 'POST', `/v1/agents/${agent}/rollouts`, OPERATOR_TOKEN, body);
    for (let i = 0; i < 100 && response.status === 422 && response.body.code === 'UNREGISTERED_VERSION'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      response = await call(controller, 'POST', `/v1/agents/${agent}/rollouts`, OPERATOR_TOKEN, body);
    }
    if (response.status !== 201) throw new Error(`start rollout: ${response.status} ${JSON.stringify(response.body)}`);
    return response;
  };

  it('every session placed live by one instance is placed identically by the other afterwards, across stage changes and a rollback judged 5 s late', async () => {
    const agent = uniqueName('agent');
    await publisher.publish(registered(agent, 'v1', '1.0.0'), registered(agent, 'v2', '2.0.0'));
    const routing = await followRouting(agent);
    try {
      await startRollout(agent, { candidateVersionId: 'v1' });
      await routing.waitFor((d) => d.some((e) => weightOf(e, 'v1') === 1), 30_000, 'v1 adopted');

      const routingOptions = { defaultVersionId: 'v1', settleMs: 500 };
      const laggingBus = new KafkaMessageBus({ connection: { brokers: process.env.KAFKA_BROKERS!.split(','), clientId: uniqueName('lagging-agent') }, logger: silentLogger });
      buses.push(laggingBus);
      const instanceClients = {
        a: IrisAgentClient.forKafka({ agent, versionId: 'v1', brokers: process.env.KAFKA_BROKERS!, routing: routingOptions }),
        b: IrisAgentClient.forKafka({ agent, versionId: 'v1', brokers: process.env.KAFKA_BROKERS!, routing: routingOptions }),
        lagging: IrisAgentClient.forBus(lagging(laggingBus, LAG_MS), { agent, versionId: 'v1', routing: routingOptions }),
      };
      const instances = Object.entries(instanceClients).map(([name, client]) => (clients.push(client), new LiveInstance(name, client)));
      await Promise.all(instances.map((i) => i.client.ready({ timeoutMs: 30_000 })));
      await waitUntil(() => instances.every((i) => i.client.routingTable() !== undefined), 'the adopted table on every instance');
      const allHold = (revision: number) => instances.every((i) => (i.client.routingTable()?.revision ?? 0) >= revision);

      const live = setInterval(() => instances.forEach((i) => i.startSessions(PER_TICK)), TICK_MS);
      const decisions: Array<{ what: string; revision: number; windowEndMs: number }> = [];
      try {
        await pause(1_000);
        const stage = (name: string, trafficPercent: number) => ({ name, trafficPercent, minDurationMs: 0, minSamples: 50 });
        await startRollout(agent, {
          candidateVersionId: 'v2',
          stages: [stage('canary-10', 10), stage('canary-30', 30), stage('canary-60', 60), stage('full', 100)],
          sessionPolicyOnRollback: 'let-finish',
          gates: { statistics: { minSamplesPerVersion: 20 } },
        });
        const startedAtMs = Date.now(); // after the start was decided: windows from here on count for the rollout
        let revision = (await routing.waitFor((d) => d.some((e) => weightOf(e, 'v2') === 0.1), 30_000, 'canary-10')).slice(-1)[0]!.data.revision;
        await waitUntil(() => allHold(revision), 'canary-10 on every instance');
        decisions.push({ what: 'start at 10 %', revision, windowEndMs: startedAtMs });

        // Each window runs from the previous one's end to LATENESS_MS ago, and is judged now: late, like the aggregator's.
        let windowStartMs = startedAtMs;
        const judgeWindow = async (what: string, figures: Parameters<typeof snapshot>[3], reached: (e: (typeof routing.seen)[number]) => boolean) => {
          await waitUntil(() => Date.now() - LATENESS_MS > windowStartMs + 1_000, 'a window to close');
          await pause(1_500); // sessions before the decision
          const windowEndMs = Date.now() - LATENESS_MS;
          await publisher.publish(snapshot(agent, windowStartMs, windowEndMs - windowStartMs, figures));
          windowStartMs = windowEndMs;
          revision = (await routing.waitFor((d) => reached(d[d.length - 1]!), 30_000, what)).slice(-1)[0]!.data.revision;
          await waitUntil(() => allHold(revision), `${what} on every instance`);
          decisions.push({ what, revision, windowEndMs });
          await pause(ALLOWANCE_MS + 1_000); // sessions until after the new weights took effect
        };
        const healthy = { v1: { requests: 900 }, v2: { requests: 300 } };
        await judgeWindow('10 % → 30 %', healthy, (e) => weightOf(e, 'v2') === 0.3);
        await judgeWindow('30 % → 60 %', healthy, (e) => weightOf(e, 'v2') === 0.6);
        await judgeWindow('rollback', { v1: { requests: 900 }, v2: { requests: 300, errorRate: 0.3 } }, (e) => weightOf(e, 'v2') === 0 && stateOf(e, 'v2') === 'draining');
      } finally {
        clearInterval(live);
      }

      // Afterwards: each instance places the others' sessions by start time alone.
      const answers = instances.flatMap((placer) => instances.filter((other) => other !== placer).flatMap((other) => placer.disagreementsWith(other)));
      const disagreeing = [...new Map(answers.map((s) => [s.sessionId, s])).values()]; // sessions another instance places elsewhere
      const sessions = instances.flatMap((i) => i.placed);
      const arrivals = instances.flatMap((i) => i.arrivals).filter((x) => decisions.some((d) => d.revision === x.revision));
      const around = decisions.map((d) => {
        const received = arrivals.filter((x) => x.revision === d.revision);
        const from = Math.min(d.windowEndMs, ...received.map((x) => x.effectiveAtMs)) - 1_000;
        const to = Math.max(...received.map((x) => Math.max(x.receivedAtMs, x.effectiveAtMs))) + 1_000;
        const near = sessions.filter((s) => s.startedAtMs >= from && s.startedAtMs <= to);
        return {
          decision: d.what,
          revision: d.revision,
          judgedLateByMs: Math.min(...received.map((x) => x.receivedAtMs)) - d.windowEndMs,
          receivedBeforeEffectMs: received.map((x) => `${x.instance}: ${x.effectiveAtMs - x.receivedAtMs}`).join(', '),
          laggingBehindMs: received.find((x) => x.instance === 'lagging')!.receivedAtMs - Math.min(...received.filter((x) => x.instance !== 'lagging').map((x) => x.receivedAtMs)),
          sessionsAround: near.length,
          onCandidate: near.filter((s) => s.versionId === 'v2').length,
          disagreementsAround: disagreeing.filter((s) => s.startedAtMs >= from && s.startedAtMs <= to).length,
        };
      });
      process.stdout.write(`session placement: ${sessions.length} sessions, ${disagreeing.length} placed elsewhere by another instance (${answers.length} of ${2 * sessions.length} answers)\n${JSON.stringify(around, null, 1)}\n`);

      expect(decisions.map((d) => d.what)).toEqual(['start at 10 %', '10 % → 30 %', '30 % → 60 %', 'rollback']);
      for (const d of around.slice(1)) {
        expect(d.judgedLateByMs).toBeGreaterThanOrEqual(LATENESS_MS); // the window's end lay in the past when the table arrived
      }
      for (const d of around) {
        expect(d.sessionsAround).toBeGreaterThan(2_000);
        expect(d.laggingBehindMs).toBeGreaterThan(LAG_MS / 2); // the third instance placed sessions under the old table meanwhile
      }
      expect(sessions.filter((s) => s.versionId === 'v2').length).toBeGreaterThan(1_000);
      expect(disagreeing.slice(0, 5)).toEqual([]);
      expect(disagreeing).toHaveLength(0);
    } finally {
      await routing.stop();
    }
  });
});
