import { Kafka, logLevel } from 'kafkajs';
import OpenAPIResponseValidator from 'openapi-response-validator';
import { decodeMessage, EventOf, TOPICS } from '@iris/contracts';
import { IrisAgentClient, route, type AgentHandler } from '@iris/agent-sdk';
import { createFreshDatabase, dropDatabase, uniqueName } from '@iris/testing';
import { routingDecision, version } from '../../libs/agent-sdk/src/testing/routing-tables';
import { freePort, spawnService, ServiceProcess, stopServices, waitUntilReady } from '../support/service-process';
import { ensureIrisTopics } from '../support/telemetry-stream';
import { AUTH_TOKENS, call, ContractPublisher, followRolloutEvents, followRouting, OPERATOR_TOKEN, registered, stateOf, weightOf } from '../support/rollout-stream';

/**
 * The shadow comparator on a real broker and database, fed by the SDK: an agent serves requests through
 * client.serve() while the routing table mirrors them to four candidates (an identical copy of the baseline, one
 * that drops a tool, one that calls a new tool, one that costs 30 % more) and re-runs a share on the baseline
 * itself (noise). The baseline is non-deterministic (it rewords answers, sometimes reorders its tools), so only
 * noise cancellation can tell the identical copy from the bad candidates.
 */

const adminUrl = () => process.env.IRIS_ADMIN_DATABASE_URL!;
const VIEWER = 'viewer-token-0123456789';
const kafka = () => new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });

type Report = EventOf<'shadow.report'>['data'];
type Input = { orderId: number; seed: number };

/** A seeded draw per (request, version, run), so behaviour is reproducible but each run is its own. */
function draw(seed: number, salt: string): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < salt.length; i++) h = Math.imul(h ^ salt.charCodeAt(i), 16777619);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return ((h ^ (h >>> 13)) >>> 0) / 4294967296;
}

/** The simulated agent: one handler for every version, as an agent serving several versions would have. */
function agentHandler(refundsExecuted: { count: number }): AgentHandler<Input> {
  let runs = 0;
  return async (input, ctx) => {
    const run = `${ctx.versionId}|${ctx.role}|${ctx.noise}|${runs++}`;
    const tools: Array<[string, unknown]> = [
      ['lookup_order', { id: input.orderId }],
      ['issue_refund', { order: input.orderId, amount: 10 }],
    ];
    if (ctx.versionId === 'v2-drops-refund') tools.pop();
    if (ctx.versionId === 'v2-new-tool') tools.push(['delete_account', { order: input.orderId }]);
    if (draw(input.seed, `order|${run}`) < 0.05) tools.reverse(); // the baseline's own non-determinism
    for (const [name, args] of tools) {
      await ctx.tool(name, args, (a) => {
        if (name === 'issue_refund') refundsExecuted.count++;
        return { ok: true, a };
      });
    }
    const reworded = draw(input.seed, `words|${run}`) < 0.15;
    const base = ctx.versionId === 'v2-costly' ? 0.013 : 0.01;
    return {
      output: reworded ? `Refund for order ${input.orderId} is being processed (${run}).` : `Your refund for order ${input.orderId} has been requested.`,
      costUsd: base * (0.95 + 0.1 * draw(input.seed, `cost|${run}`)),
      tokensIn: 100,
      tokensOut: 40,
    };
  };
}

const WINDOW_MS = 20_000;
const CANDIDATES = ['v1-copy', 'v2-drops-refund', 'v2-new-tool', 'v2-costly'] as const;

async function followReports(agent: string) {
  const consumer = kafka().consumer({ groupId: uniqueName('shadow-reports') });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.shadow.name, fromBeginning: true });
  const reports: Report[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = decodeMessage(message.value);
      if (event.type === 'shadow.report' && event.data.agent === agent) reports.push(event.data);
    },
  });
  return { reports, stop: () => consumer.disconnect() };
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('shadow comparator on real Kafka and PostgreSQL, fed by the SDK', () => {
  let databaseUrl: string;
  const running: ServiceProcess[] = [];
  const clients: IrisAgentClient[] = [];

  const startComparator = async (group: string, checkpointIntervalMs = 1_000, extraEnv: Record<string, string> = {}) => {
    const port = await freePort();
    const service = spawnService('shadow-comparator', {
      IRIS_MODE: 'kafka',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      IRIS_AUTH_TOKENS: `vera:viewer:${VIEWER}`,
      SHADOW_CONSUMER_GROUP: group,
      SHADOW_WINDOW_MS: String(WINDOW_MS),
      SHADOW_PAIR_TIMEOUT_MS: '3000',
      SHADOW_IDLE_PARTITION_MS: '500',
      SHADOW_REPORT_INTERVAL_MS: '200',
      SHADOW_CHECKPOINT_INTERVAL_MS: String(checkpointIntervalMs),
      LOG_LEVEL: 'warn',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      ...extraEnv,
    });
    running.push(service);
    await waitUntilReady(`http://127.0.0.1:${port}`);
    return { service, port, base: `http://127.0.0.1:${port}` };
  };

  const get = async (url: string, token: string | null = VIEWER) => {
    const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, body: (await response.json()) as any };
  };

  const sdkAgent = (agent: string, noiseSampleRate: number) => {
    const client = IrisAgentClient.forKafka({
      brokers: process.env.KAFKA_BROKERS!,
      agent,
      versionId: 'v1',
      publishThread: 'agent',
      shadow: { noiseSampleRate, sideEffectTools: ['issue_refund', 'delete_account'], maxInFlight: 64, timeoutMs: 5_000 },
    });
    clients.push(client);
    return client;
  };

  /** Serves `requests` requests through the SDK, each mirrored to every candidate the table lists. */
  const serveTraffic = async (client: IrisAgentClient, agent: string, candidates: readonly string[], requests: number, refunds: { count: number }, pauseMsPer10 = 0) => {
    const table = routingDecision(agent, 1, { versions: [version('v1', 1)], shadowTargets: candidates.map((versionId) => ({ versionId, sampleRate: 1 })) });
    const handler = agentHandler(refunds);
    for (let n = 0; n < requests; n++) {
      const sessionId = `${agent}-s${n}`;
      const decision = route(table, { agent, sessionId }, Date.now());
      const served = await client.serve({ sessionId, requestId: `r${n}`, tenant: 'acme', feature: 'refunds', input: { orderId: 1000 + n, seed: n }, decision }, handler);
      expect(served.result.output).toContain(`order ${1000 + n}`);
      await new Promise((r) => setImmediate(r)); // the shadow runs just dispatched get their turn (maxInFlight is not the point here)
      if (pauseMsPer10 > 0 && n % 10 === 9) await new Promise((r) => setTimeout(r, pauseMsPer10));
    }
  };

  beforeAll(() => ensureIrisTopics());
  beforeEach(async () => {
    databaseUrl = await createFreshDatabase(adminUrl(), 'iris_shadow');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 10_000 })));
    await stopServices(running);
    await dropDatabase(databaseUrl, adminUrl());
  });

  it('passes an identical candidate at the noise floor and fails one that drops a tool, calls a new tool or costs 30 % more', async () => {
    const agent = uniqueName('shadow-agent');
    const reports = await followReports(agent);
    const comparator = await startComparator(uniqueName('shadow'));
    const client = sdkAgent(agent, 0.4);
    const refunds = { count: 0 };
    const REQUESTS = 400;
    try {
      // All the traffic in one report window: start just after a window boundary (it takes a few seconds).
      await new Promise((r) => setTimeout(r, WINDOW_MS - (Date.now() % WINDOW_MS) + 200));
      await serveTraffic(client, agent, CANDIDATES, REQUESTS, refunds);
      await client.close({ timeoutMs: 15_000 });
      const stats = client.stats();
      expect(stats.shadow).toMatchObject({ skipped: 0, failed: 0, timedOut: 0, inFlight: 0 });
      expect(stats.shadow.dispatched).toBe(REQUESTS * CANDIDATES.length + stats.shadow.noiseRuns);
      // Side-effecting tools ran for the primary only: never in the 1,600 candidate runs nor in the noise reruns.
      expect(refunds.count).toBe(REQUESTS);

      // One shadow.report per candidate for the window, published through the outbox on iris.shadow.v1.
      await until(async () => (CANDIDATES.every((c) => reports.reports.some((r) => r.candidateVersionId === c)) ? true : undefined), 90_000, 'a report per candidate');
      const byCandidate = Object.fromEntries(CANDIDATES.map((c) => [c, reports.reports.find((r) => r.candidateVersionId === c)!]));
      for (const candidate of CANDIDATES) {
        expect(byCandidate[candidate]!.samples).toEqual({ pairs: REQUESTS, noisePairs: stats.shadow.noiseRuns, shadowFailures: 0 });
      }

      const copy = byCandidate['v1-copy']!;
      process.stdout.write(
        `identical candidate: decision differences ${copy.decisionDifferenceRate} vs noise floor ${copy.noiseFloorRate} (pairs ${copy.samples.pairs}, noise pairs ${copy.samples.noisePairs}); verdicts ${CANDIDATES.map((c) => `${c}=${byCandidate[c]!.verdict} ${JSON.stringify(byCandidate[c]!.reasons.map((r) => r.detail))}`).join('; ')}\n`,
      );
      expect(copy.decisionDifferenceRate).toBeGreaterThan(0.1); // the baseline really is non-deterministic …
      expect(copy.verdict).toBe('pass'); // … and the noise floor cancels it
      expect(copy.reasons).toEqual([]);

      const drops = byCandidate['v2-drops-refund']!;
      expect(drops.verdict).toBe('fail');
      expect(drops.toolUsage.removedTools).toEqual(['issue_refund']);
      expect(drops.differences.find((d) => d.kind === 'tool-sequence')!.flagged).toBe(true);

      const newTool = byCandidate['v2-new-tool']!;
      expect(newTool.verdict).toBe('fail');
      expect(newTool.toolUsage.newTools).toEqual(['delete_account']);

      const costly = byCandidate['v2-costly']!;
      expect(costly.verdict).toBe('fail');
      expect(costly.cost.deltaPct!).toBeGreaterThan(25);
      expect(costly.reasons.map((r) => r.check)).toEqual(['cost']);

      // The same over HTTP: the latest report and the worst-diverging requests with both sides.
      const report = await get(`${comparator.base}/v1/agents/${agent}/shadow/v2-drops-refund/report`);
      expect(report.status).toBe(200);
      expect(report.body.latest).toMatchObject({ verdict: 'fail', candidateVersionId: 'v2-drops-refund', samples: { pairs: REQUESTS } });
      expect(report.body.overall[0]).toMatchObject({ baselineVersionId: 'v1', verdict: 'fail' });
      const divergent = await get(`${comparator.base}/v1/agents/${agent}/shadow/v2-drops-refund/divergent?limit=3`);
      expect(divergent.status).toBe(200);
      expect(divergent.body.requests).toHaveLength(3);
      expect(divergent.body.requests[0].baseline.tools.map((t: { name: string }) => t.name)).toContain('issue_refund');
      expect(divergent.body.requests[0].candidate.tools.map((t: { name: string }) => t.name)).not.toContain('issue_refund');
      expect(divergent.body.requests[0].comparison.removedTools).toEqual(['issue_refund']);

      // Bad input: field reasons; unknown candidate 404; no token 401.
      const badLimit = await get(`${comparator.base}/v1/agents/${agent}/shadow/v2-drops-refund/divergent?limit=0`);
      expect(badLimit).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST', errors: [{ field: 'limit' }] } });
      const badAgent = await get(`${comparator.base}/v1/agents/${encodeURIComponent('bad agent')}/shadow/v2/report`);
      expect(badAgent).toMatchObject({ status: 400, body: { errors: [{ field: 'agent' }] } });
      const unknown = await get(`${comparator.base}/v1/agents/${agent}/shadow/v9/report`);
      expect(unknown).toMatchObject({ status: 404, body: { code: 'CANDIDATE_NOT_FOUND', errors: [{ field: 'candidate' }] } });
      expect((await get(`${comparator.base}/v1/agents/${agent}/shadow/v1-copy/report`, null)).status).toBe(401);

      // Every answer above keeps to the served OpenAPI document (openapi-response-validator, as in the contract test,
      // which has no shadow runs and so never sees these 200 bodies).
      const document = (await get(`${comparator.base}/docs`, null)).body;
      const violationOf = (path: string, answer: { status: number; body: unknown }) =>
        new OpenAPIResponseValidator({ responses: document.paths[path].get.responses, components: document.components }).validateResponse(answer.status, answer.body);
      const [reportPath, divergentPath] = ['/v1/agents/{agent}/shadow/{candidate}/report', '/v1/agents/{agent}/shadow/{candidate}/divergent'];
      expect([report, unknown, badAgent].map((answer) => violationOf(reportPath, answer))).toEqual([undefined, undefined, undefined]);
      expect([divergent, badLimit].map((answer) => violationOf(divergentPath, answer))).toEqual([undefined, undefined]);
    } finally {
      await reports.stop();
    }
  });

  it('loses and doubles no pair when the comparator is killed with -9 mid-stream and restarted', async () => {
    const agent = uniqueName('shadow-agent');
    const group = uniqueName('shadow');
    // Checkpoints every 5 s: the kill surely drops compared pairs that were not saved yet (Kafka redelivers them).
    const first = await startComparator(group, 5_000);
    const client = sdkAgent(agent, 0.3);
    const refunds = { count: 0 };
    const REQUESTS = 1_500;
    // The group reads the topic from the beginning (earlier tests' shadow runs too): count from where it settles.
    let before = -1;
    const base = await until(
      async () => {
        const now = (await get(`${first.base}/v1/shadow/stats`)).body.pairsCompared as number;
        const settled = now === before;
        before = now;
        await new Promise((r) => setTimeout(r, 500));
        return settled ? now : undefined;
      },
      60_000,
      'the comparator to catch up with the topic',
    );
    let comparedAtKill = 0;
    const traffic = serveTraffic(client, agent, ['v1-copy'], REQUESTS, refunds, 25); // about 4 s of traffic
    await until(
      async () => {
        const stats = await get(`${first.base}/v1/shadow/stats`);
        comparedAtKill = stats.body.pairsCompared - base;
        return comparedAtKill >= 300 ? true : undefined;
      },
      90_000,
      'the comparator to compare 300 pairs',
    );
    first.service.child.kill('SIGKILL');
    await first.service.exited;
    await traffic;
    await client.close({ timeoutMs: 15_000 });
    const stats = client.stats().shadow;
    expect(stats).toMatchObject({ skipped: 0, failed: 0, timedOut: 0 });

    const second = await startComparator(group);
    const overall = await until(
      async () => {
        const report = await get(`${second.base}/v1/agents/${agent}/shadow/v1-copy/report`);
        const o = report.body.overall?.[0];
        return o && o.samples.pairs + o.samples.shadowFailures >= REQUESTS && o.samples.noisePairs >= stats.noiseRuns ? o : undefined;
      },
      90_000,
      'every pair counted after the restart',
    );
    process.stdout.write(`kill -9 after ${comparedAtKill} compared pairs; after restart: ${overall.samples.pairs} pairs, ${overall.samples.noisePairs} noise pairs, ${overall.samples.shadowFailures} failures\n`);
    expect(comparedAtKill).toBeLessThan(REQUESTS); // killed mid-stream
    // Exactly once: every mirrored request compared once, every noise rerun once, none lost to the crash.
    await new Promise((r) => setTimeout(r, 1_500));
    const settled = (await get(`${second.base}/v1/agents/${agent}/shadow/v1-copy/report`)).body.overall[0];
    expect(settled.samples).toEqual({ pairs: REQUESTS, noisePairs: stats.noiseRuns, shadowFailures: 0 });
    // … although some pairs were compared twice: by the killed instance (unsaved) and again after the restart.
    const comparedAfterRestart = (await get(`${second.base}/v1/shadow/stats`)).body.pairsCompared as number;
    process.stdout.write(`compared before the kill ${comparedAtKill}, after the restart ${comparedAfterRestart}, pairs in all ${REQUESTS + stats.noiseRuns}\n`);
    expect(comparedAtKill + comparedAfterRestart).toBeGreaterThan(REQUESTS + stats.noiseRuns);
  });

  it('rolls a candidate back in its shadow stage on a failing shadow report (controller, comparator and an SDK following the routing table)', async () => {
    const agent = uniqueName('shadow-agent');
    const publisher = await ContractPublisher.connect();
    try {
      await publisher.publish(registered(agent, 'v1', '1.0.0'), registered(agent, 'v2-drops-refund', '1.1.0'));
      const routing = await followRouting(agent);
      const audit = await followRolloutEvents(agent);
      await startComparator(uniqueName('shadow'), 1_000, { SHADOW_WINDOW_MS: '3000', SHADOW_GATE_MIN_PAIRS: '20' });
      const port = await freePort();
      const controller = spawnService('rollout-controller', {
        IRIS_MODE: 'kafka',
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        IRIS_AUTH_TOKENS: AUTH_TOKENS,
        ROLLOUT_CONSUMER_GROUP: uniqueName('rollout-controller'),
        ROLLOUT_TICK_INTERVAL_MS: '200',
        LOG_LEVEL: 'warn',
        KAFKA_SESSION_TIMEOUT_MS: '6000',
      });
      running.push(controller);
      const base = `http://127.0.0.1:${port}`;
      await waitUntilReady(base);
      const startRollout = async (body: Record<string, unknown>) => {
        let response = await call(base, 'POST', `/v1/agents/${agent}/rollouts`, OPERATOR_TOKEN, body);
        for (let i = 0; i < 100 && response.status === 422 && response.body.code === 'UNREGISTERED_VERSION'; i++) {
          await new Promise((r) => setTimeout(r, 200));
          response = await call(base, 'POST', `/v1/agents/${agent}/rollouts`, OPERATOR_TOKEN, body);
        }
        return response;
      };
      expect((await startRollout({ candidateVersionId: 'v1' })).status).toBe(201);
      await routing.waitFor((d) => d.some((e) => weightOf(e, 'v1') === 1), 30_000, 'v1 adopted');
      const stages = [
        { name: 'shadow', trafficPercent: 0, minDurationMs: 0, minSamples: 1_000_000, shadowSampleRate: 1 },
        { name: 'full', trafficPercent: 100, minDurationMs: 0, minSamples: 50 },
      ];
      expect((await startRollout({ candidateVersionId: 'v2-drops-refund', stages, sessionPolicyOnRollback: 'let-finish' })).status).toBe(201);
      await routing.waitFor((d) => d.some((e) => stateOf(e, 'v2-drops-refund') === 'shadow'), 30_000, 'the candidate in shadow');

      // The agent routes with the SDK (the controller's table: v1 serves, v2 mirrored) and serves through serve().
      const client = IrisAgentClient.forKafka({
        brokers: process.env.KAFKA_BROKERS!,
        agent,
        versionId: 'v1',
        publishThread: 'agent',
        routing: {},
        shadow: { noiseSampleRate: 0.3, sideEffectTools: ['issue_refund'] },
      });
      clients.push(client);
      expect(await client.ready({ timeoutMs: 30_000 })).toBe(true);
      const handler = agentHandler({ count: 0 });
      // Served until the candidate leaves shadow in the SDK's own table: on a slow machine the comparator's first
      // 3-s window (20 pairs suffice) can fail it, and roll it back, before all 150 requests are served.
      const inShadow = () => client.routingTable()?.decision.table.versions.find((v) => v.versionId === 'v2-drops-refund')?.state === 'shadow';
      let mirrored = 0;
      for (let n = 0; n < 150 && inShadow(); n++) {
        const served = await client.serve({ sessionId: `${agent}-s${n}`, requestId: `r${n}`, tenant: 'acme', feature: 'refunds', input: { orderId: n, seed: n } }, handler);
        expect(served.decision.versionId).toBe('v1');
        if (served.shadows.some((s) => s.versionId === 'v2-drops-refund')) mirrored++;
        else expect(inShadow()).toBe(false); // no mirror only once the table took the candidate out of shadow
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(mirrored).toBeGreaterThanOrEqual(20);

      const events = await audit.waitFor((e) => e.some((x) => x.data.kind === 'rolled-back'), 90_000, 'the rollback');
      const rolledBack = events.find((x) => x.data.kind === 'rolled-back')!;
      expect(rolledBack.data.detail).toMatchObject({ trigger: 'automatic', reason: 'gates failed: external:shadow-report', candidateVersionId: 'v2-drops-refund' });
      await routing.waitFor((d) => stateOf(d[d.length - 1]!, 'v2-drops-refund') !== 'shadow', 30_000, 'the candidate out of shadow');
      await routing.stop();
      await audit.stop();
    } finally {
      await publisher.close();
    }
  });
});
