import { Kafka, logLevel } from 'kafkajs';
import { IrisAgentClient } from '@iris/agent-sdk';
import { TOPICS } from '@iris/contracts';
import { simulateAgent, simulatedVersion, type AgentRouteRequest, type SimulatedRoute, type SimulatedVersion } from '@iris/agent-sim';
import { createFreshDatabase, dropDatabase, uniqueName } from '@iris/testing';
import { freePort, spawnService, ServiceProcess, stopServices, waitUntilReady } from '../support/service-process';
import { ensureIrisTopics } from '../support/telemetry-stream';
import { AUTH_TOKENS, call, ContractPublisher, followRouting, OPERATOR_TOKEN, registered, stateOf, weightOf } from '../support/rollout-stream';

/**
 * The whole loop on the real broker: a simulated agent routes every session with the SDK's route() (two agent
 * instances sharing nothing but the routing topic and the session's pin), publishes telemetry through the SDK;
 * the metrics-aggregator turns it into 2-second windows; the rollout controller judges them and publishes routing
 * decisions the SDK applies.
 */
const WINDOW_MS = 2_000;
const adminUrl = () => process.env.IRIS_ADMIN_DATABASE_URL!;

const healthy = (versionId: string) => simulatedVersion(versionId);

/** Routes like a two-instance agent: requests alternate between the instances; the session's pin lives in its (shared) state. */
class RoutedAgent {
  readonly versionsBySession = new Map<string, Set<string>>();
  readonly decisionsBySession = new Map<string, string[]>();
  readonly firstServedAt = new Map<string, number>();
  private readonly pins = new Map<string, string>();
  private turn = 0;

  constructor(private readonly instances: IrisAgentClient[]) {}

  route = (request: AgentRouteRequest): SimulatedRoute => {
    const instance = this.instances[this.turn++ % this.instances.length]!;
    const decision = instance.route({
      sessionId: request.sessionId,
      tenant: request.tenant,
      feature: request.feature,
      user: request.user,
      sessionStartedAt: request.sessionStartedAtMs,
      pinnedVersionId: this.pins.get(request.sessionId),
    });
    const versionId = decision.versionId!;
    const log = this.decisionsBySession.get(request.sessionId) ?? [];
    log.push(`${versionId}:${decision.reason}@r${decision.revision}`);
    this.decisionsBySession.set(request.sessionId, log);
    if (decision.pin) this.pins.set(request.sessionId, decision.pin);
    const seen = this.versionsBySession.get(request.sessionId) ?? new Set<string>();
    seen.add(versionId);
    this.versionsBySession.set(request.sessionId, seen);
    if (!this.firstServedAt.has(versionId)) this.firstServedAt.set(versionId, request.atMs);
    return { versionId, shadowVersionIds: decision.shadow.map((s) => s.versionId) };
  };

  /** Sessions that were served by more than one version (a pinned session never is). */
  movedSessions(): string[] {
    return [...this.versionsBySession.entries()].filter(([, versions]) => versions.size > 1).map(([id]) => `${id}: ${this.decisionsBySession.get(id)!.join(' ')}`);
  }
}

describe('rollout journey: SDK routing + metrics-aggregator + rollout-controller on real Kafka and PostgreSQL', () => {
  const running: ServiceProcess[] = [];
  const clients: IrisAgentClient[] = [];
  let databaseUrl: string;
  let publisher: ContractPublisher;
  let controller: string;

  beforeAll(async () => {
    await ensureIrisTopics();
    publisher = await ContractPublisher.connect();
  });
  afterAll(() => publisher.close());

  beforeAll(async () => {
    databaseUrl = await createFreshDatabase(adminUrl(), 'iris_journey');
    const aggregatorPort = await freePort();
    const common = { IRIS_MODE: 'kafka', KAFKA_BROKERS: process.env.KAFKA_BROKERS, DATABASE_URL: databaseUrl, IRIS_AUTH_TOKENS: AUTH_TOKENS, LOG_LEVEL: 'warn', KAFKA_SESSION_TIMEOUT_MS: '6000' };
    running.push(
      spawnService('metrics-aggregator', {
        ...common,
        PORT: String(aggregatorPort),
        METRICS_CONSUMER_GROUP: uniqueName('aggregator'),
        METRICS_WINDOW_MS: String(WINDOW_MS),
        METRICS_ALLOWED_LATENESS_MS: '300',
        METRICS_IDLE_PARTITION_MS: '1000',
        METRICS_ROLLING_VIEWS: 'none',
      }),
    );
    const port = await freePort();
    running.push(spawnService('rollout-controller', { ...common, PORT: String(port), ROLLOUT_CONSUMER_GROUP: uniqueName('controller'), ROLLOUT_TICK_INTERVAL_MS: '250' }));
    controller = `http://127.0.0.1:${port}`;
    await Promise.all([aggregatorPort, port].map((p) => waitUntilReady(`http://127.0.0.1:${p}`)));
    // A new aggregator reads the telemetry topic from the beginning (earlier tests' traffic): measure only once it caught up.
    await waitUntilCaughtUp(`http://127.0.0.1:${aggregatorPort}`);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 2_000 })));
  });

  afterAll(async () => {
    await stopServices(running);
    await dropDatabase(databaseUrl, adminUrl());
  });

  const agentInstances = async (agent: string, count = 2) => {
    const instances = Array.from({ length: count }, () =>
      IrisAgentClient.forKafka({ agent, versionId: 'v1', brokers: process.env.KAFKA_BROKERS!, routing: { defaultVersionId: 'v1', settleMs: 500 } }),
    );
    clients.push(...instances);
    await Promise.all(instances.map((i) => i.ready({ timeoutMs: 30_000 })));
    return instances;
  };

  const post = async (agent: string, path: string, body: unknown) => {
    let response = await call(controller, 'POST', `/v1/agents/${agent}${path}`, OPERATOR_TOKEN, body);
    for (let i = 0; i < 100 && response.body?.code === 'UNREGISTERED_VERSION'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      response = await call(controller, 'POST', `/v1/agents/${agent}${path}`, OPERATOR_TOKEN, body);
    }
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response;
  };

  const run = (agent: string, versions: SimulatedVersion[], router: RoutedAgent, signal: AbortSignal, client: IrisAgentClient) =>
    simulateAgent({
      client,
      seed: 11,
      clock: 'real',
      requestRatePerSec: 400,
      durationMs: 120_000,
      sessionLength: { min: 2, max: 6 },
      concurrentSessions: 40,
      tenants: ['acme', 'globex'],
      features: ['chat'],
      versions,
      router: router.route,
      signal,
    });

  /** Registers the versions, adopts the first, and starts a routed two-instance agent simulating `behaviours`. */
  const liveAgent = async (labels: Record<string, string>, behaviours: SimulatedVersion[]) => {
    const agent = uniqueName('agent');
    await publisher.publish(...Object.entries(labels).map(([versionId, label]) => registered(agent, versionId, label)));
    const routing = await followRouting(agent);
    await post(agent, '/rollouts', { candidateVersionId: Object.keys(labels)[0] });
    await routing.waitFor((d) => d.length >= 1, 30_000, 'first version adopted');
    const instances = await agentInstances(agent);
    const agentRouter = new RoutedAgent(instances);
    const abort = new AbortController();
    const simulation = run(agent, behaviours, agentRouter, abort.signal, instances[0]!);
    const stop = async () => {
      abort.abort();
      await simulation;
      await routing.stop();
    };
    return { agent, routing, instances, agentRouter, stop };
  };

  it('a good candidate advances through every stage to 100 %, sessions stay pinned, the old version drains to zero', async () => {
    const { agent, routing, agentRouter, stop } = await liveAgent({ v1: '1.0.0', v2: '1.1.0' }, [healthy('v1'), healthy('v2')]);
    try {
      const stage = (name: string, trafficPercent: number) => ({ name, trafficPercent, minDurationMs: WINDOW_MS, minSamples: 40 });
      await post(agent, '/rollouts', {
        candidateVersionId: 'v2',
        stages: [{ ...stage('shadow', 0), shadowSampleRate: 0.5 }, stage('canary-10', 10), stage('canary-50', 50), stage('full', 100)],
        gates: { statistics: { minSamplesPerVersion: 20 } },
      });
      const decisions = await routing.waitFor((d) => d.some((e) => stateOf(e, 'v2') === 'active'), 90_000, 'v2 at 100 %').catch(async (error: Error) => {
        const history = await call(controller, 'GET', `/v1/agents/${agent}/rollout/history`, OPERATOR_TOKEN);
        throw new Error(`${error.message.slice(0, 300)}\nhistory: ${JSON.stringify(history.body.events.map((e: { event: unknown }) => e.event)).slice(-6_000)}`);
      });
      expect(decisions.map((e) => weightOf(e, 'v2'))).toEqual(expect.arrayContaining([0, 0.1, 0.5, 1]));
      await routing.waitFor((d) => stateOf(d[d.length - 1]!, 'v1') === 'drained', 60_000, 'v1 drained');
    } finally {
      await stop();
    }
    expect(agentRouter.firstServedAt.has('v2')).toBe(true);
    expect(agentRouter.movedSessions()).toEqual([]);
  });

  /** [what breaches, the candidate's behaviour, the gate expected to fail, how long after routing its first request the breaching event happens at most]. */
  const BREACHES: Array<[string, Partial<SimulatedVersion>, string, number]> = [
    ['errors', { errorRate: 0.4 }, 'errorRate', 0],
    // a slow request breaches when it completes: up to its p99 after it was routed
    ['latency', { latencyMs: { distribution: 'lognormal', p50: 800, p99: 3_000 } }, 'p99LatencyMs', 3_000],
    ['cost', { costUsd: { mean: 0.02, sd: 0.002 } }, 'costPerRequest', 0],
    ['policy violations', { policyViolationRate: 0.05 }, 'policyViolations', 0],
  ];

  it.each(BREACHES)('a candidate breaching on %s is rolled back automatically within two windows of the breach; its sessions finish on it', async (_kind, breach, gatePrefix, breachDelayMs) => {
    const { agent, routing, instances, agentRouter, stop } = await liveAgent({ v1: '1.0.0', v2: '2.0.0' }, [healthy('v1'), { ...healthy('v2'), ...breach }]);
    let rolledBackAt: number | undefined;
    instances[1]!.onRoutingChange(({ table }) => {
      const candidate = table?.decision.table.versions.find((v) => v.versionId === 'v2');
      if (rolledBackAt === undefined && candidate?.state === 'draining' && candidate.newSessionWeight === 0) rolledBackAt = Date.now();
    });
    try {
      await post(agent, '/rollouts', {
        candidateVersionId: 'v2',
        stages: [{ name: 'canary-25', trafficPercent: 25, minDurationMs: 600_000, minSamples: 1_000 }, { name: 'full', trafficPercent: 100, minDurationMs: 0, minSamples: 0 }],
        gates: { statistics: { minSamplesPerVersion: 20 } },
        sessionPolicyOnRollback: 'let-finish',
      });
      const decisions = await routing.waitFor((d) => d.some((e) => weightOf(e, 'v2') === 0 && stateOf(e, 'v2') === 'draining'), 60_000, 'rollback');
      expect(weightOf(decisions[decisions.length - 1]!, 'v1')).toBe(1);
      const deadline = Date.now() + 10_000;
      while (rolledBackAt === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // The rollback reached the SDK: the subscribed instance saw v2 drain, and once the new weights are in force
      // (decided time + the propagation allowance, the same instant on every instance) routes a new session to v1.
      expect(rolledBackAt).toBeDefined();
      const epochs = instances[1]!.routingTable()!.decision.table.epochs;
      const inForceAt = Date.parse(epochs[epochs.length - 1]!.effectiveAt);
      await new Promise((r) => setTimeout(r, Math.max(0, inForceAt - Date.now() + 10)));
      expect(instances[1]!.route({ sessionId: uniqueName('after-rollback'), tenant: 'acme', feature: 'chat' }).versionId).toBe('v1');
    } finally {
      await stop();
    }
    // Within two windows of the breach, in event time: the rollback is decided on the window that contains the first
    // request of the candidate, or the next one (wall-clock latency depends on the machine: see bench/rollback-latency).
    const firstRequestAt = agentRouter.firstServedAt.get('v2')!;
    const history = await call(controller, 'GET', `/v1/agents/${agent}/rollout/history`, OPERATOR_TOKEN);
    const rolledBack = history.body.events.find((e: { event: { type: string } }) => e.event.type === 'RolledBack').event;
    const decidedAt = Date.parse(rolledBack.metadata.at);
    process.stdout.write(
      `bad candidate (${_kind}): first request ${new Date(firstRequestAt).toISOString()}, rollback decided on the window ending ${rolledBack.metadata.at}, applied in a subscribed SDK ${rolledBackAt! - firstRequestAt} ms after the first request (window ${WINDOW_MS} ms)\n`,
    );
    expect(decidedAt - firstRequestAt).toBeLessThanOrEqual(2 * WINDOW_MS + breachDelayMs);
    expect(rolledBack.data).toMatchObject({ trigger: 'automatic', verdicts: expect.arrayContaining([expect.objectContaining({ status: 'failed', gate: expect.stringMatching(new RegExp(`^${gatePrefix}\\.`)) })]) });
    expect(agentRouter.movedSessions()).toEqual([]); // let-finish: sessions on v2 were not moved
  });

  it('blue-green: after shadow every session — new and existing — switches to the candidate at once, and a rollback switches them all back', async () => {
    const { agent, routing, agentRouter, stop } = await liveAgent({ v1: '1.0.0', v2: '1.1.0' }, [healthy('v1'), healthy('v2')]);
    try {
      await new Promise((r) => setTimeout(r, 2_000)); // sessions running on v1
      await post(agent, '/rollouts', {
        candidateVersionId: 'v2',
        strategy: 'blue-green',
        stages: [{ name: 'shadow', trafficPercent: 0, minDurationMs: WINDOW_MS, minSamples: 40, shadowSampleRate: 0.5 }, { name: 'switch', trafficPercent: 100, minDurationMs: 600_000, minSamples: 1_000_000 }],
        gates: { statistics: { minSamplesPerVersion: 20 } },
      });
      await routing.waitFor((d) => d.some((e) => weightOf(e, 'v2') === 1), 60_000, 'switched to v2');
      await new Promise((r) => setTimeout(r, 2_000));
      const switched = agentRouter.movedSessions().filter((line) => /v1:.* v2:blue-green/.test(line));
      expect(switched.length).toBeGreaterThan(0); // sessions that started on v1 went on on v2
      await post(agent, '/rollout/rollback', { reason: 'switch back' });
      await routing.waitFor((d) => weightOf(d[d.length - 1]!, 'v1') === 1, 30_000, 'switched back');
      await new Promise((r) => setTimeout(r, 2_000));
      expect(agentRouter.movedSessions().some((line) => /v2:blue-green.* v1:blue-green/.test(line))).toBe(true);
    } finally {
      await stop();
    }
  });

  it('three versions live at once: a version deployed mid-rollout keeps the older ones in place, sessions stay pinned, the old ones drain to zero', async () => {
    const { agent, routing, agentRouter, stop } = await liveAgent({ v1: '1.0.0', v2: '1.1.0', v3: '1.2.0' }, [healthy('v1'), healthy('v2'), healthy('v3')]);
    const hold = (percent: number) => [{ name: `hold-${percent}`, trafficPercent: percent, minDurationMs: 600_000, minSamples: 1_000_000 }, { name: 'full', trafficPercent: 100, minDurationMs: 0, minSamples: 0 }];
    try {
      await post(agent, '/rollouts', { candidateVersionId: 'v2', stages: hold(40) });
      await routing.waitFor((d) => d.some((e) => weightOf(e, 'v2') === 0.4), 30_000, 'v2 at 40 %');
      await new Promise((r) => setTimeout(r, 3_000)); // sessions start on v1 and v2
      await post(agent, '/rollouts', { candidateVersionId: 'v3', stages: hold(50), supersedeRunning: true });
      const three = await routing.waitFor((d) => d.some((e) => weightOf(e, 'v3') === 0.5), 30_000, 'v3 at 50 %');
      const mixed = three.find((e) => weightOf(e, 'v3') === 0.5)!;
      // v2 keeps its place beside v1 (in proportion), nothing snaps back to the oldest version
      expect([weightOf(mixed, 'v1'), weightOf(mixed, 'v2')]).toEqual([0.3, 0.2]);
      await new Promise((r) => setTimeout(r, 3_000)); // sessions on all three
      const live = new Set([...agentRouter.versionsBySession.values()].flatMap((s) => [...s]));
      expect([...live].sort()).toEqual(['v1', 'v2', 'v3']);
      await post(agent, '/rollout/promote', { reason: 'v3 is good' });
      await routing.waitFor((d) => ['v1', 'v2'].every((v) => stateOf(d[d.length - 1]!, v) === 'drained'), 60_000, 'v1 and v2 drained');
    } finally {
      await stop();
    }
    expect(agentRouter.movedSessions()).toEqual([]);
  });
});

/**
 * Until the aggregator has consumed every telemetry record there is: each partition holding records has a consumer
 * lag gauge (Prometheus, per partition) of 0, steadily; an empty topic needs no gauge.
 */
async function waitUntilCaughtUp(base: string, timeoutMs = 240_000): Promise<void> {
  const admin = new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    let quietSince = 0;
    let behind: string[] = [];
    while (Date.now() < deadline) {
      const withRecords = (await admin.fetchTopicOffsets(TOPICS.telemetry.name)).filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => p.partition);
      const text = await (await fetch(`${base}/metrics`)).text();
      const lags = new Map([...text.matchAll(/^iris_aggregator_consumer_lag\{partition="(\d+)"\} (\d+)/gm)].map((m) => [Number(m[1]), Number(m[2])]));
      behind = withRecords.filter((partition) => lags.get(partition) !== 0).map((partition) => `${partition}: ${lags.get(partition) ?? 'no gauge yet'}`);
      if (behind.length === 0) {
        quietSince ||= Date.now();
        if (Date.now() - quietSince >= 2_000) return;
      } else quietSince = 0;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${base} did not catch up with the telemetry topic in time (partition: lag ${behind.join(', ')})`);
  } finally {
    await admin.disconnect();
  }
}
