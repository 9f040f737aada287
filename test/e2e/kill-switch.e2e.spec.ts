import { Kafka } from 'kafkajs';
import { createEvent, TOPICS, type IrisEvent } from '@iris/contracts';
import { IrisAgentClient, route, type RouteDecision } from '@iris/agent-sdk';
import { createFreshDatabase, dropDatabase, uniqueName } from '@iris/testing';
import { freePort, spawnService, ServiceProcess, stopServices, waitUntilReady } from '../support/service-process';
import { ensureIrisTopics } from '../support/telemetry-stream';
import { runKillSwitchCli } from '../../apps/kill-switch/src/cli/kill-switch-cli';
import { AUTH_TOKENS, call, ContractPublisher, followRolloutEvents, followRouting, OPERATOR_TOKEN, registered, VIEWER_TOKEN, weightOf } from '../support/rollout-stream';

/**
 * The kill switch as its own process on real Kafka and PostgreSQL, with SDK clients routing from the compacted topics
 * and NO rollout controller running: the routing tables it would have published are published by the test, once.
 * Each test has its own environment (the kill set's key) and database.
 */

const adminUrl = () => process.env.IRIS_ADMIN_DATABASE_URL!;
const quiet = { log: () => undefined };
const slug = (prefix: string) => uniqueName(prefix).toLowerCase().replace(/[^a-z0-9-]/g, '-');

async function spawnKillSwitch(database: string, environment: string) {
  const port = await freePort();
  const service = spawnService('kill-switch', {
    IRIS_MODE: 'kafka',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    DATABASE_URL: database,
    PORT: String(port),
    IRIS_AUTH_TOKENS: AUTH_TOKENS,
    IRIS_ENVIRONMENT: environment,
    KILL_SWITCH_EXPIRY_CHECK_MS: '100',
    LOG_LEVEL: 'info',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
  });
  const base = `http://127.0.0.1:${port}`;
  await waitUntilReady(base);
  return { service, base };
}

async function spawnController(database: string, environment: string) {
  const port = await freePort();
  const service = spawnService('rollout-controller', {
    IRIS_MODE: 'kafka',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    DATABASE_URL: database,
    PORT: String(port),
    IRIS_AUTH_TOKENS: AUTH_TOKENS,
    IRIS_ENVIRONMENT: environment,
    ROLLOUT_CONSUMER_GROUP: uniqueName('rollout-controller'),
    ROLLOUT_TICK_INTERVAL_MS: '200',
    LOG_LEVEL: 'warn',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
  });
  const base = `http://127.0.0.1:${port}`;
  await waitUntilReady(base);
  return { service, base };
}

/** The routing table the rollout controller would have published for the agent in this environment. */
function routingTable(agent: string, environment: string): IrisEvent {
  return createEvent(
    'routing.decision',
    {
      agent,
      revision: 3,
      table: {
        fallbackVersionId: 'v1',
        versions: [
          { versionId: 'v1', state: 'active', newSessionWeight: 0.5, existingSessions: 'keep' },
          { versionId: 'v2', state: 'canary', newSessionWeight: 0.5, existingSessions: 'keep' },
          { versionId: 'faq', state: 'drained', newSessionWeight: 0, existingSessions: 'keep' },
        ],
      },
    },
    { environment },
  );
}

async function eventually<T>(probe: () => T | Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms; last ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('kill switch on real Kafka and PostgreSQL, no rollout controller', () => {
  let databaseUrl: string;
  let publisher: ContractPublisher;
  const running: ServiceProcess[] = [];
  const clients: IrisAgentClient[] = [];
  const stops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    await ensureIrisTopics();
    publisher = await ContractPublisher.connect();
  });
  afterAll(() => publisher.close());

  beforeEach(async () => {
    databaseUrl = await createFreshDatabase(adminUrl(), 'iris_kills');
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 500 })));
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await stopServices(running);
    await dropDatabase(databaseUrl, adminUrl());
  });

  /** An agent with v1 (active, the routing fallback), v2 (canary) and faq registered, its table published, the service and an SDK client up. */
  async function setUp() {
    const agent = uniqueName('agent');
    const environment = slug('env');
    await publisher.publish(registered(agent, 'v1', '1.0.0'), registered(agent, 'v2', '1.1.0'), registered(agent, 'faq', '0.9.0'), routingTable(agent, environment));
    const killSwitch = await spawnKillSwitch(databaseUrl, environment); // ready: the registry and routing topics are read
    running.push(killSwitch.service);
    expect((await call(killSwitch.base, 'GET', '/health/ready', null)).body.checks['kill-switch-followers']).toEqual({ ok: true });
    const client = await sdk(agent, environment);
    await eventually(() => client.routingTable()?.revision, (r) => r === 3, 'routing table learned');
    return { agent, environment, client, base: killSwitch.base, killSwitch };
  }

  async function sdk(agent: string, environment: string) {
    const client = IrisAgentClient.forKafka({ brokers: process.env.KAFKA_BROKERS!, agent, versionId: 'v1', environment, logger: quiet, routing: {} });
    clients.push(client);
    expect(await client.ready({ timeoutMs: 30_000 })).toBe(true);
    return client;
  }

  /** A fresh session id (route() caches a session's version: each check uses new ones) that the weights place on `version`. */
  let sessions = 0;
  function sessionOn(client: IrisAgentClient, version: string, tag: string): string {
    const table = client.routingTable()!;
    for (;;) {
      const sessionId = `${tag}-${sessions++}`;
      if (route(table, { agent: table.agent, sessionId }, Date.now()).versionId === version) return sessionId;
    }
  }

  it('kills and releases at several scopes, seen by route(); a kill that strands traffic is refused; the configured fallback serves; bad input, viewers and unknown names are refused', async () => {
    const { agent, client, base } = await setUp();
    const routeOf = (tag: string, version: string, call: { tenant?: string; feature?: string } = {}): RouteDecision => client.route({ sessionId: sessionOn(client, version, tag), ...call });

    // version × tenant
    const kill = await call(base, 'POST', '/v1/kills', OPERATOR_TOKEN, { killId: 'k-v2-acme', scope: { agent, versionId: 'v2', tenant: 'acme' }, reason: 'hallucinations for acme' });
    expect(kill.status).toBe(201);
    expect(kill.body).toMatchObject({ applied: true, kill: { killId: 'k-v2-acme', actor: 'olga', onKill: 'migrate' }, agent: { agent, kills: [{ killId: 'k-v2-acme' }], fallback: { effective: 'v1', source: 'routing' } }, killSet: { revision: 1 } });
    await eventually(() => routeOf('a', 'v2', { tenant: 'acme' }), (d) => d.reason === 'killed', 'version × tenant kill applied');
    expect(routeOf('b', 'v2', { tenant: 'acme' })).toMatchObject({ versionId: 'v1', reason: 'killed', killId: 'k-v2-acme' });
    expect(routeOf('c', 'v2', { tenant: 'globex' })).toMatchObject({ versionId: 'v2', reason: 'weighted' });

    // the last version for acme: refused, unless allowNoRoute
    const stranding = await call(base, 'POST', '/v1/kills', OPERATOR_TOKEN, { killId: 'k-v1-acme', scope: { agent, versionId: 'v1', tenant: 'acme' }, reason: 'v1 broken for acme too' });
    expect(stranding.status).toBe(409);
    expect(stranding.body).toMatchObject({ code: 'NO_ROUTE_LEFT', stranded: [{ agent, tenant: 'acme' }] });
    expect(stranding.body.message).toMatch(/allowNoRoute/);
    const forced = await call(base, 'POST', '/v1/kills', OPERATOR_TOKEN, { killId: 'k-v1-acme', scope: { agent, versionId: 'v1', tenant: 'acme' }, reason: 'v1 broken for acme too', allowNoRoute: true });
    expect(forced.status).toBe(201);
    await eventually(() => routeOf('d', 'v1', { tenant: 'acme' }), (d) => d.versionId === null, 'no route for acme');
    expect(routeOf('e', 'v2', { tenant: 'acme' })).toMatchObject({ versionId: null, reason: 'killed' });

    // a configured fallback serves what is killed
    const fallback = await call(base, 'PUT', `/v1/agents/${agent}/fallback`, OPERATOR_TOKEN, { versionId: 'faq' });
    expect(fallback.status).toBe(200);
    expect(fallback.body.agent.fallback).toEqual({ configured: 'faq', effective: 'faq', source: 'configured' });
    await eventually(() => routeOf('f', 'v1', { tenant: 'acme' }), (d) => d.versionId === 'faq', 'fallback serves acme');
    expect(routeOf('g', 'v2', { tenant: 'acme' })).toMatchObject({ versionId: 'faq', reason: 'killed', killId: 'k-v2-acme' });

    // release both: acme is back on the weights
    expect((await call(base, 'DELETE', '/v1/kills/k-v1-acme', OPERATOR_TOKEN)).status).toBe(200);
    const released = await call(base, 'POST', '/v1/kills/k-v2-acme/release', OPERATOR_TOKEN, { reason: 'prompt fixed' });
    expect(released).toMatchObject({ status: 200, body: { released: 'k-v2-acme', agent: { kills: [] }, killSet: { revision: 5 } } });
    await eventually(() => routeOf('h', 'v2', { tenant: 'acme' }), (d) => d.reason === 'weighted' && d.versionId === 'v2', 'released');

    // feature across agents, whole agent, global: everything but the fallback goes to it
    for (const [killId, scope] of [['k-feature', { feature: 'refunds' }], ['k-agent', { agent }], ['k-global', {}]] as const) {
      const engaged = await call(base, 'POST', '/v1/kills', OPERATOR_TOKEN, { killId, scope, reason: `drill ${killId}` });
      expect([killId, engaged.status]).toEqual([killId, 201]);
      const call_ = killId === 'k-feature' ? { feature: 'refunds' } : {};
      await eventually(() => routeOf(`${killId}-1`, 'v2', call_), (d) => d.killId === killId, `${killId} applied`);
      expect(routeOf(`${killId}-2`, 'v1', call_)).toMatchObject({ versionId: 'faq', reason: 'killed', killId });
      if (killId === 'k-feature') expect(routeOf(`${killId}-3`, 'v2', { feature: 'chat' })).toMatchObject({ versionId: 'v2', reason: 'weighted' });
      expect((await call(base, 'DELETE', `/v1/kills/${killId}`, OPERATOR_TOKEN)).status).toBe(200);
    }

    // reads for viewers, writes refused to them; bad bodies and unknown names
    expect(await call(base, 'GET', `/v1/agents/${agent}/kills`, VIEWER_TOKEN)).toMatchObject({ status: 200, body: { agent, kills: [], fallback: { configured: 'faq' } } });
    expect((await call(base, 'GET', '/v1/kills', VIEWER_TOKEN)).body).toMatchObject({ kills: [], fallbacks: { [agent]: 'faq' } });
    expect((await call(base, 'POST', '/v1/kills', VIEWER_TOKEN, { scope: {}, reason: 'x' })).status).toBe(403);
    expect((await call(base, 'POST', '/v1/kills', null, { scope: {}, reason: 'x' })).status).toBe(401);
    const bad = await call(base, 'POST', '/v1/kills', OPERATOR_TOKEN, { scope: { versionId: 'v2' }, reason: '', ttlMs: -5, onKill: 'explode' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_REQUEST');
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['reason', 'ttlMs', 'onKill']));
    const past = await call(base, 'POST', '/v1/kills', OPERATOR_TOKEN, { scope: { agent }, reason: 'x', expiresAt: '2020-01-01T00:00:00Z' });
    expect(past).toMatchObject({ status: 400, body: { code: 'INVALID_KILL', errors: [{ field: 'expiresAt' }] } });
    expect((await call(base, 'POST', '/v1/kills', OPERATOR_TOKEN, { scope: { agent, versionId: 'v9' }, reason: 'x' })).body).toMatchObject({ code: 'UNKNOWN_VERSION' });
    expect((await call(base, 'POST', '/v1/kills', OPERATOR_TOKEN, { scope: { agent: 'nobody', versionId: 'v1' }, reason: 'x' })).status).toBe(404);
    expect((await call(base, 'PUT', '/v1/agents/nobody/fallback', OPERATOR_TOKEN, { versionId: 'v1' })).status).toBe(404);
    expect((await call(base, 'DELETE', '/v1/kills/never', OPERATOR_TOKEN)).body).toMatchObject({ code: 'KILL_NOT_FOUND' });
    expect((await call(base, 'GET', '/v1/agents/nobody/kills', VIEWER_TOKEN)).status).toBe(404);
  });

  it('a kill with a ttl expires: the SDK stops applying it and the service records the expiry', async () => {
    const { agent, client, base } = await setUp();
    const engaged = await call(base, 'POST', '/v1/kills', OPERATOR_TOKEN, { killId: 'k-short', scope: { agent, versionId: 'v2' }, reason: 'brief', ttlMs: 8_000 });
    expect(engaged.status).toBe(201);
    const expiresAtMs = Date.parse(engaged.body.kill.expiresAt);
    await eventually(() => client.route({ sessionId: sessionOn(client, 'v2', `x${Date.now()}`) }), (d) => d.reason === 'killed', 'short kill applied');
    const after = await eventually(() => client.route({ sessionId: sessionOn(client, 'v2', `y${Date.now()}`) }), (d) => d.reason === 'weighted', 'short kill expired in route()');
    expect(after.versionId).toBe('v2');
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAtMs);
    const listed = await eventually(() => call(base, 'GET', '/v1/kills', VIEWER_TOKEN), (r) => r.body.kills.length === 0, 'service expired it');
    expect(listed.body.revision).toBe(2);
    await eventually(() => client.killSet()?.revision, (r) => r === 2, 'the expiry published');
  });

  it('a restart rebuilds the same kill set from the log; a lost topic is re-published and a new SDK instance learns it', async () => {
    const { agent, environment, base } = await setUp();
    await call(base, 'POST', '/v1/kills', OPERATOR_TOKEN, { killId: 'k-1', scope: { agent, versionId: 'v2', feature: 'refunds' }, reason: 'r1', onKill: 'terminate' });
    await call(base, 'POST', '/v1/kills', OPERATOR_TOKEN, { killId: 'k-2', scope: { tenant: 'acme' }, reason: 'r2', ttlMs: 3_600_000 });
    await call(base, 'PUT', `/v1/agents/${agent}/fallback`, OPERATOR_TOKEN, { versionId: 'faq' });
    const before = (await call(base, 'GET', '/v1/kills', VIEWER_TOKEN)).body;
    expect(before.revision).toBe(3);
    await stopServices(running);

    // the topic is lost while the service is down
    const admin = new Kafka({ clientId: 'kill-switch-e2e', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: 0 }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [TOPICS.killswitch.name], timeout: 30_000 });
    await eventually(() => admin.listTopics(), (topics) => !topics.includes(TOPICS.killswitch.name), 'topic deleted');
    await admin.disconnect();

    const restarted = await spawnKillSwitch(databaseUrl, environment);
    running.push(restarted.service);
    expect((await call(restarted.base, 'GET', '/v1/kills', VIEWER_TOKEN)).body).toEqual(before);
    await restarted.service.waitForLine((line) => line.includes('re-published it from the log'), 30_000);
    const late = await sdk(agent, environment);
    await eventually(() => late.killSet()?.revision, (r) => r === 3, 'a new SDK instance learns the re-published set');
    expect(late.route({ sessionId: sessionOn(late, 'v1', 'late'), tenant: 'acme' })).toMatchObject({ versionId: 'faq', reason: 'killed', killId: 'k-2' });
    expect(late.route({ sessionId: 'pinned', pinnedVersionId: 'v2@3', feature: 'refunds' })).toMatchObject({ versionId: 'faq', reason: 'killed', killId: 'k-1', terminated: true, previousVersionId: 'v2' });
  });

  it('with the rollout controller running, a kill of the candidate rolls its rollout back: trigger kill, the kill id as cause', async () => {
    const agent = uniqueName('agent');
    const environment = slug('env');
    await publisher.publish(registered(agent, 'v1', '1.0.0'), registered(agent, 'v2', '1.1.0'));
    const routing = await followRouting(agent);
    const audit = await followRolloutEvents(agent);
    stops.push(() => Promise.all([routing.stop(), audit.stop()]).then(() => undefined));
    const controller = await spawnController(databaseUrl, environment);
    running.push(controller.service);
    const killSwitch = await spawnKillSwitch(databaseUrl, environment);
    running.push(killSwitch.service);
    const startRollout = async (body: Record<string, unknown>) =>
      eventually(() => call(controller.base, 'POST', `/v1/agents/${agent}/rollouts`, OPERATOR_TOKEN, body), (r) => r.body?.code !== 'UNREGISTERED_VERSION', 'versions known');
    expect((await startRollout({ candidateVersionId: 'v1' })).status).toBe(201);
    const stages = [
      { name: 'canary', trafficPercent: 50, minDurationMs: 3_600_000, minSamples: 50 },
      { name: 'full', trafficPercent: 100, minDurationMs: 0, minSamples: 50 },
    ];
    expect((await startRollout({ candidateVersionId: 'v2', stages, sessionPolicyOnRollback: 'let-finish' })).status).toBe(201);
    await routing.waitFor((d) => d.some((e) => e.environment === environment && weightOf(e, 'v2') === 0.5), 30_000, 'canary at 50 %');

    const kill = await eventually(
      () => call(killSwitch.base, 'POST', '/v1/kills', OPERATOR_TOKEN, { killId: 'k-candidate', scope: { agent, versionId: 'v2' }, reason: 'hallucinations', onKill: 'terminate' }),
      (r) => r.status !== 404,
      'the kill switch knows v2',
    );
    expect(kill.status).toBe(201);
    const [rolledBack] = (await audit.waitFor((e) => e.some((x) => x.data.kind === 'rolled-back'), 30_000, 'rolled back')).filter((x) => x.data.kind === 'rolled-back');
    expect(rolledBack!.data.detail).toMatchObject({ trigger: 'kill', killId: 'k-candidate', sessionPolicy: 'terminate', actor: 'iris:kill-switch' });
    await routing.waitFor((d) => d.some((e) => e.environment === environment && weightOf(e, 'v2') === 0 && weightOf(e, 'v1') === 1), 30_000, 'v1 back at 100 %');
    const rollout = await call(controller.base, 'GET', `/v1/agents/${agent}/rollout`, VIEWER_TOKEN);
    expect(rollout.body.rollout).toMatchObject({ status: 'rolled-back' });
  });

  it('the CLI kills, lists (--json too) and unkills against the service; a refusal exits 1 with the reason', async () => {
    const { agent, client, base } = await setUp();
    const cli = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runKillSwitchCli(argv, { env: { IRIS_KILL_SWITCH_URL: base, IRIS_TOKEN: OPERATOR_TOKEN }, out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const killed = await cli('kill', '--agent', agent, '--version', 'v2', '--tenant', 'acme', '--reason', 'cli drill', '--ttl', '1h', '--id', 'k-cli');
    expect(killed).toMatchObject({ code: 0 });
    expect(killed.out).toMatch(/^engaged k-cli \(version×tenant agent=\S+ version=v2 tenant=acme\), until \S+, sessions moved/);
    expect(killed.out).toMatch(/killed traffic goes to v1 \(routing\)/);
    await eventually(() => client.killSet()?.revision, (r) => r === 1, 'SDK sees the CLI kill');
    const listed = await cli('list', '--agent', agent, '--json');
    expect(JSON.parse(listed.out)).toMatchObject({ agent, kills: [{ killId: 'k-cli', scope: { tenant: 'acme' } }] });
    expect((await cli('list')).out).toMatch(/1 kill in force \(revision 1\)\n  k-cli/);
    const refused = await cli('kill', '--agent', agent, '--version', 'v1', '--tenant', 'acme', '--reason', 'strands acme');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/409 NO_ROUTE_LEFT/);
    expect(refused.err).toMatch(/would strand \S+ \(tenant acme, feature any\); --allow-no-route to insist/);
    expect(await cli('unkill', 'k-cli', '--reason', 'done')).toMatchObject({ code: 0, out: expect.stringMatching(/^released k-cli/) });
    expect((await cli('unkill', 'k-cli')).err).toMatch(/404 KILL_NOT_FOUND/);
  });
});
