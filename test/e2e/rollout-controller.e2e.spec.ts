import { createFreshDatabase, dropDatabase, uniqueName } from '@iris/testing';
import { SEED_QUALITY_GATES } from '../../apps/rollout-controller/src/domain/testing/quality-gates';
import { freePort, spawnService, ServiceProcess, stopServices, waitUntilReady } from '../support/service-process';
import { ensureIrisTopics } from '../support/telemetry-stream';
import {
  AUTH_TOKENS,
  call,
  ContractPublisher,
  followRolloutEvents,
  followRouting,
  OPERATOR_TOKEN,
  registered,
  snapshot,
  stateOf,
  VIEWER_TOKEN,
  weightOf,
} from '../support/rollout-stream';

const adminUrl = () => process.env.IRIS_ADMIN_DATABASE_URL!;
const WINDOW_MS = 1_000;
const FAST_STAGES = [
  { name: 'shadow', trafficPercent: 0, minDurationMs: 0, minSamples: 50 },
  { name: 'canary-10', trafficPercent: 10, minDurationMs: 0, minSamples: 50 },
  { name: 'canary-50', trafficPercent: 50, minDurationMs: 0, minSamples: 50 },
  { name: 'full', trafficPercent: 100, minDurationMs: 0, minSamples: 50 },
];

/** The rollout controller as its own process on `database`, ready to serve. */
async function spawnController(database: string, extraEnv: Record<string, string> = {}) {
  const port = await freePort();
  const service = spawnService('rollout-controller', {
    IRIS_MODE: 'kafka',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    DATABASE_URL: database,
    PORT: String(port),
    IRIS_AUTH_TOKENS: AUTH_TOKENS,
    ROLLOUT_CONSUMER_GROUP: uniqueName('rollout-controller'),
    ROLLOUT_TICK_INTERVAL_MS: '200',
    LOG_LEVEL: 'warn',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...extraEnv,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitUntilReady(base);
  return { service, base };
}

describe('rollout-controller on real Kafka and PostgreSQL', () => {
  let databaseUrl: string;
  let publisher: ContractPublisher;
  const running: ServiceProcess[] = [];

  const startController = async () => {
    const controller = await spawnController(databaseUrl);
    running.push(controller.service);
    return controller;
  };

  /** The controller learns versions from the registry topic asynchronously: retry while it says "not registered". */
  const startRollout = async (base: string, agent: string, body: Record<string, unknown>) => {
    let response = await call(base, 'POST', `/v1/agents/${agent}/rollouts`, OPERATOR_TOKEN, body);
    for (let i = 0; i < 100 && response.status === 422 && response.body.code === 'UNREGISTERED_VERSION'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      response = await call(base, 'POST', `/v1/agents/${agent}/rollouts`, OPERATOR_TOKEN, body);
    }
    return response;
  };

  beforeAll(async () => {
    await ensureIrisTopics();
    publisher = await ContractPublisher.connect();
  });
  afterAll(() => publisher.close());

  beforeEach(async () => {
    databaseUrl = await createFreshDatabase(adminUrl(), 'iris_rollouts');
  });

  afterEach(async () => {
    await stopServices(running);
    await dropDatabase(databaseUrl, adminUrl());
  });

  it('advances a good candidate stage by stage on snapshots, publishes every table on the compacted topic, drains the old version', async () => {
    const agent = uniqueName('agent');
    await publisher.publish(registered(agent, 'v1', '1.0.0'), registered(agent, 'v2', '1.1.0'));
    const routing = await followRouting(agent);
    const audit = await followRolloutEvents(agent);
    const { base } = await startController();

    const adopted = await startRollout(base, agent, { candidateVersionId: 'v1' });
    expect(adopted.status).toBe(201);
    await routing.waitFor((d) => d.some((e) => weightOf(e, 'v1') === 1), 30_000, 'v1 adopted');

    const started = await startRollout(base, agent, { candidateVersionId: 'v2', stages: FAST_STAGES, sessionPolicyOnRollback: 'let-finish' });
    expect(started.status).toBe(201);
    const t0 = Date.now() + 100;
    let window = 0;
    const good = () => ({ v1: { requests: 400 }, v2: { requests: 100 } });
    // shadow: candidate figures come from the shadow-role snapshot of the same window
    await publisher.publish(snapshot(agent, t0 + window * WINDOW_MS, WINDOW_MS, { v1: { requests: 400 } }), snapshot(agent, t0 + window++ * WINDOW_MS, WINDOW_MS, { v2: { requests: 100 } }, 'shadow'));
    await routing.waitFor((d) => d.some((e) => weightOf(e, 'v2') === 0.1), 30_000, 'canary-10');
    await publisher.publish(snapshot(agent, t0 + window++ * WINDOW_MS, WINDOW_MS, good()));
    await routing.waitFor((d) => d.some((e) => weightOf(e, 'v2') === 0.5), 30_000, 'canary-50');
    await publisher.publish(snapshot(agent, t0 + window++ * WINDOW_MS, WINDOW_MS, good()));
    await routing.waitFor((d) => d.some((e) => weightOf(e, 'v2') === 1), 30_000, 'full');
    await publisher.publish(snapshot(agent, t0 + window++ * WINDOW_MS, WINDOW_MS, { v1: { requests: 3, liveSessions: 2 }, v2: { requests: 100 } }));
    const [last] = (await routing.waitFor((d) => stateOf(d[d.length - 1]!, 'v2') === 'active', 30_000, 'completed')).slice(-1);
    expect(stateOf(last!, 'v1')).toBe('draining');
    await publisher.publish(snapshot(agent, t0 + window++ * WINDOW_MS, WINDOW_MS, { v1: { requests: 0, liveSessions: 0 }, v2: { requests: 100 } }));
    await routing.waitFor((d) => stateOf(d[d.length - 1]!, 'v1') === 'drained', 30_000, 'v1 drained');

    const revisions = routing.seen.map((d) => d.data.revision);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(new Set(revisions).size).toBe(revisions.length);
    const table = routing.seen[routing.seen.length - 1]!.data.table;
    expect(table.versions.find((v) => v.versionId === 'v2')).toMatchObject({ label: '1.1.0', endpoint: expect.stringContaining('http://') });
    expect(table.epochs.length).toBeGreaterThanOrEqual(4);
    await audit.waitFor((e) => e.some((x) => x.data.kind === 'rollout-completed'), 30_000, 'audit');
    expect(audit.seen.map((e) => e.data.kind)).toEqual(expect.arrayContaining(['rollout-started', 'snapshot-evaluated', 'stage-advanced', 'rollout-completed', 'version-drained']));

    const history = await call(base, 'GET', `/v1/agents/${agent}/rollout/history`, VIEWER_TOKEN);
    expect(history.body.events.filter((e: { event: { type: string } }) => e.event.type === 'StageAdvanced')).toHaveLength(3);
    await Promise.all([routing.stop(), audit.stop()]);
  });

  it('rolls a breaching candidate back on the first failed window, with the verdicts that failed', async () => {
    const agent = uniqueName('agent');
    await publisher.publish(registered(agent, 'v1', '1.0.0'), registered(agent, 'v2', '2.0.0'));
    const routing = await followRouting(agent);
    const audit = await followRolloutEvents(agent);
    const { base } = await startController();
    expect((await startRollout(base, agent, { candidateVersionId: 'v1' })).status).toBe(201);
    expect((await startRollout(base, agent, { candidateVersionId: 'v2', stages: FAST_STAGES.slice(1) })).status).toBe(201);
    await routing.waitFor((d) => d.some((e) => weightOf(e, 'v2') === 0.1), 30_000, 'canary-10');

    const t0 = Date.now() + 100;
    await publisher.publish(snapshot(agent, t0, WINDOW_MS, { v1: { requests: 900, errorRate: 0.01 }, v2: { requests: 300, errorRate: 0.3 } }));
    const decisions = await routing.waitFor((d) => weightOf(d[d.length - 1]!, 'v2') === 0 && weightOf(d[d.length - 1]!, 'v1') === 1, 30_000, 'rollback');
    expect(stateOf(decisions[decisions.length - 1]!, 'v2')).toBe('draining'); // let-finish: its sessions end on it
    const rolledBack = (await audit.waitFor((e) => e.some((x) => x.data.kind === 'rolled-back'), 30_000, 'audit')).find((x) => x.data.kind === 'rolled-back')!;
    expect(rolledBack.data.detail).toMatchObject({ trigger: 'automatic', verdicts: expect.arrayContaining([expect.objectContaining({ gate: 'errorRate.absolute', status: 'failed', measured: 0.3 })]) });

    // cooldown: a new rollout right after an automatic rollback is refused
    const again = await call(base, 'POST', `/v1/agents/${agent}/rollouts`, OPERATOR_TOKEN, { candidateVersionId: 'v2' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ROLLOUT_COOLDOWN');
    await Promise.all([routing.stop(), audit.stop()]);
  });

  it("takes the seed's quality_gates.yaml as it is and judges posted eval results gate by gate", async () => {
    const agent = uniqueName('agent');
    await publisher.publish(registered(agent, 'v1', '1.0.0'), registered(agent, 'v2', '1.1.0'));
    const { base } = await startController();
    expect((await startRollout(base, agent, { candidateVersionId: 'v1' })).status).toBe(201);
    const started = await startRollout(base, agent, { candidateVersionId: 'v2', stages: FAST_STAGES, qualityGates: SEED_QUALITY_GATES });
    expect(started.status).toBe(201);
    expect(started.body.events[0].data.gates.external.map((g: { name: string }) => g.name)).toEqual(['quality_score', 'safety_score', 'regression_tests', 'latency', 'cost']);

    const metrics = { offline_quality_score: 0.87, safety_checker_score: 0.96, critical_scenarios: [{ name: 'test_1', passed: true }, { name: 'test_2', passed: true }], p95_latency_ms: 1500 };
    const posted = await call(base, 'POST', `/v1/agents/${agent}/rollout/eval-results`, OPERATOR_TOKEN, { metrics });
    expect(posted.status).toBe(200);
    expect(posted.body.verdicts.map((v: { gate: string; status: string }) => `${v.gate}:${v.status}`)).toEqual([
      'external:quality_score:passed',
      'external:safety_score:passed',
      'external:regression_tests:passed',
      'external:latency:passed',
    ]);
    expect(posted.body.missing).toEqual(['cost']);
    const bad = await call(base, 'POST', `/v1/agents/${uniqueName('agent')}/rollouts`, OPERATOR_TOKEN, { candidateVersionId: 'v2', qualityGates: 'gates:\n- name: x\n  type: vibes\n' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatchObject({ field: 'qualityGates.gates[0].type', reason: expect.stringContaining('threshold or test_suite') });
    const nonsense = await call(base, 'POST', `/v1/agents/${uniqueName('agent')}/rollouts`, OPERATOR_TOKEN, { candidateVersionId: 'v2', qualityGates: 'gates:\n- name: r\n  type: test_suite\n  test_suite: critical\n  min_pass_rate: high\n' });
    expect(nonsense.status).toBe(400);
    expect(nonsense.body.errors).toEqual([{ field: 'qualityGates.gates[0].min_pass_rate', reason: expect.stringContaining('from 0 to 1') }]);
  });

  it('answers conflicts with 409, retries idempotently, validates fields, enforces roles, and rebuilds from the log on restart', async () => {
    const agent = uniqueName('agent');
    await publisher.publish(registered(agent, 'v1', '1.0.0'), registered(agent, 'v2', '1.1.0'), registered(agent, 'v3', '1.2.0'));
    const first = await startController();
    const base = first.base;
    expect((await startRollout(base, agent, { candidateVersionId: 'v1' })).status).toBe(201);
    // Wait until the controller has seen v3 from the registry: this probe's stage plan is invalid (no 100 % stage), so it changes nothing.
    const probe = await startRollout(base, agent, { candidateVersionId: 'v3', stages: [{ name: 'x', trafficPercent: 50, minDurationMs: 0, minSamples: 0 }] });
    expect(probe.body.code).toBe('INVALID_ROLLOUT_COMMAND');

    const [startV2, startV3] = await Promise.all([
      call(base, 'POST', `/v1/agents/${agent}/rollouts`, OPERATOR_TOKEN, { candidateVersionId: 'v2', stages: FAST_STAGES, commandId: 'start-v2' }),
      call(base, 'POST', `/v1/agents/${agent}/rollouts`, OPERATOR_TOKEN, { candidateVersionId: 'v3', stages: FAST_STAGES, commandId: 'start-v3' }),
    ]);
    expect([startV2.status, startV3.status].sort()).toEqual([201, 409]);
    const winner = startV2.status === 201 ? { id: 'v2', commandId: 'start-v2' } : { id: 'v3', commandId: 'start-v3' };
    const retry = await call(base, 'POST', `/v1/agents/${agent}/rollouts`, OPERATOR_TOKEN, { candidateVersionId: winner.id, stages: FAST_STAGES, commandId: winner.commandId });
    expect(retry.status).toBe(201);
    expect(retry.body.applied).toBe(false);

    const beforeAdvance = await call(base, 'GET', `/v1/agents/${agent}/rollout`, VIEWER_TOKEN);
    const early = await call(base, 'POST', `/v1/agents/${agent}/rollout/advance`, OPERATOR_TOKEN, { reason: 'looks fine' });
    expect(early.status).toBe(422);
    expect(early.body.code).toBe('PREFLIGHT_FAILED');
    expect(early.body.failedChecks).toEqual([{ name: 'shadow-min-samples', passed: false, detail: '0 of 50 samples' }]);
    const history = await call(base, 'GET', `/v1/agents/${agent}/rollout/history`, VIEWER_TOKEN);
    // One request, one decision: the refused advance appended nothing (the checklist's verdict is in the answer).
    expect(history.body.events.some((e: { event: { type: string } }) => e.event.type === 'PreflightChecked')).toBe(false);
    expect((await call(base, 'GET', `/v1/agents/${agent}/rollout`, VIEWER_TOKEN)).etag).toBe(beforeAdvance.etag);

    const { etag } = await call(base, 'GET', `/v1/agents/${agent}/rollout`, VIEWER_TOKEN);
    const stale = `"${Number(JSON.parse(etag!)) - 1}"`;
    const conditional = await call(base, 'POST', `/v1/agents/${agent}/rollout/abort`, OPERATOR_TOKEN, { reason: 'stale view' }, { 'if-match': stale });
    expect(conditional.status).toBe(409);
    expect(conditional.body.code).toBe('STALE_ROLLOUT_VERSION');

    const invalid = await call(base, 'POST', `/v1/agents/${agent}/rollouts`, OPERATOR_TOKEN, { candidateVersionId: '', strategy: 'yolo', stages: [{ name: 's', trafficPercent: 120, minDurationMs: -1, minSamples: 1 }] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['candidateVersionId', 'strategy', 'stages[0].trafficPercent', 'stages[0].minDurationMs']),
    );
    expect((await call(base, 'POST', `/v1/agents/${agent}/rollout/pause`, OPERATOR_TOKEN, {})).body.errors).toEqual([{ field: 'reason', reason: 'is required' }]);
    // Strings PostgreSQL cannot store are refused at the boundary, naming the field; nothing is written.
    const unchanged = (await call(base, 'GET', `/v1/agents/${agent}/rollout`, VIEWER_TOKEN)).etag;
    const nul = await call(base, 'POST', `/v1/agents/${agent}/rollout/pause`, OPERATOR_TOKEN, { reason: 'x\u0000y' });
    expect(nul.status).toBe(400);
    expect(nul.body.errors).toEqual([{ field: 'reason', reason: expect.stringContaining('NUL character') }]);
    const surrogate = await call(base, 'POST', `/v1/agents/${agent}/rollout/pause`, OPERATOR_TOKEN, { reason: 'x\uD800' });
    expect(surrogate.body.errors).toEqual([{ field: 'reason', reason: expect.stringContaining('unpaired UTF-16 surrogate') }]);
    const inPath = await call(base, 'POST', `/v1/agents/bad%00agent/rollout/pause`, OPERATOR_TOKEN, { reason: 'x' });
    expect(inPath.status).toBe(400);
    expect(inPath.body.errors).toEqual([{ field: 'agent', reason: expect.stringContaining('NUL character') }]);
    expect((await call(base, 'GET', `/v1/agents/${agent}/rollout`, VIEWER_TOKEN)).etag).toBe(unchanged);
    // Writes take JSON only, and a PUT always says what to: a form body is never obeyed, an empty PUT resets nothing.
    const form = await fetch(`${base}/v1/agents/${agent}/rollout/pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'reason=form',
    });
    expect(form.status).toBe(415);
    expect(await form.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', errors: [{ field: 'Content-Type', reason: expect.stringContaining('application/x-www-form-urlencoded is not accepted') }] });
    const emptyPut = await fetch(`${base}/v1/agents/${agent}/fleet-policy`, { method: 'PUT', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(emptyPut.status).toBe(400);
    expect(await emptyPut.json()).toMatchObject({ code: 'BODY_REQUIRED' });
    expect((await call(base, 'GET', `/v1/agents/${agent}/rollout`, VIEWER_TOKEN)).etag).toBe(unchanged);
    expect((await call(base, 'POST', `/v1/agents/${agent}/rollout/pause`, VIEWER_TOKEN, { reason: 'x' })).status).toBe(403);
    expect((await call(base, 'POST', `/v1/agents/${agent}/rollout/pause`, null, { reason: 'x' })).status).toBe(401);
    expect((await call(base, 'POST', `/v1/agents/${uniqueName('agent')}/rollouts`, OPERATOR_TOKEN, { candidateVersionId: 'nope' })).status).toBe(422);
    const docs = await call(base, 'GET', '/docs', null);
    expect(docs.body.openapi).toBe('3.1.0');
    expect(Object.keys(docs.body.paths)).toContain('/v1/agents/{agent}/rollouts');

    const before = await call(base, 'GET', `/v1/agents/${agent}/rollout`, VIEWER_TOKEN);
    first.service.child.kill('SIGTERM');
    await first.service.exited;
    const second = await startController();
    const after = await call(second.base, 'GET', `/v1/agents/${agent}/rollout`, VIEWER_TOKEN);
    const withoutLabels = (body: { fleet: Array<{ label?: string }> }) => ({ ...body, fleet: body.fleet.map(({ label: _label, ...rest }) => rest) });
    expect(withoutLabels(after.body)).toEqual(withoutLabels(before.body));
    expect(after.etag).toBe(before.etag);
  });
});

describe('environment promotion on real Kafka and PostgreSQL', () => {
  const running: ServiceProcess[] = [];
  const databases: string[] = [];
  let publisher: ContractPublisher;

  beforeAll(async () => {
    await ensureIrisTopics();
    publisher = await ContractPublisher.connect();
  });
  afterAll(async () => {
    await stopServices(running);
    for (const url of databases) await dropDatabase(url, adminUrl());
    await publisher.close();
  });

  const controllerIn = async (environment: string, extraEnv: Record<string, string> = {}) => {
    const database = await createFreshDatabase(adminUrl(), `iris_${environment}`);
    databases.push(database);
    const { service, base } = await spawnController(database, { IRIS_ENVIRONMENT: environment, ...extraEnv });
    running.push(service);
    return base;
  };

  it('a version starts in production only after it completed a rollout in staging', async () => {
    const agent = uniqueName('agent');
    await publisher.publish(registered(agent, 'v1', '1.0.0'), registered(agent, 'v2', '1.1.0'));
    const staging = await controllerIn('staging');
    const production = await controllerIn('production', { ROLLOUT_PROMOTE_FROM: 'staging' });
    const post = (base: string, path: string, body: unknown) => call(base, 'POST', `/v1/agents/${agent}${path}`, OPERATOR_TOKEN, body);
    const retryWhile = async (attempt: () => ReturnType<typeof post>, ...codes: string[]) => {
      let response = await attempt();
      for (let i = 0; i < 150 && codes.includes(response.body?.code); i++) {
        await new Promise((r) => setTimeout(r, 200));
        response = await attempt();
      }
      return response;
    };

    expect((await retryWhile(() => post(staging, '/rollouts', { candidateVersionId: 'v1' }), 'UNREGISTERED_VERSION')).status).toBe(201);
    expect((await retryWhile(() => post(production, '/rollouts', { candidateVersionId: 'v1' }), 'UNREGISTERED_VERSION', 'PROMOTION_REQUIRED')).status).toBe(201);

    const refused = await post(production, '/rollouts', { candidateVersionId: 'v2' });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'PROMOTION_REQUIRED', errors: [{ field: 'candidateVersionId', reason: expect.stringContaining('staging') }] });

    expect((await post(staging, '/rollouts', { candidateVersionId: 'v2', shadowExitChecklist: [] })).status).toBe(201);
    expect((await post(staging, '/rollout/promote', { reason: 'staging soak done' })).status).toBe(200);
    const started = await retryWhile(() => post(production, '/rollouts', { candidateVersionId: 'v2' }), 'PROMOTION_REQUIRED');
    expect(started.status).toBe(201);
    expect(started.body.events[0].data.promotedFrom).toMatchObject({ environment: 'staging' });
  });
});
