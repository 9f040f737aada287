import { dlqTopic, TOPICS } from '@iris/contracts';
import { generateTelemetry, summarizeTelemetry } from '@iris/agent-sim';
import { createFreshDatabase, dropDatabase, uniqueName } from '@iris/testing';
import { freePort, spawnService, ServiceProcess, stopServices } from '../support/service-process';
import { countDeadLetters, ensureIrisTopics, followSnapshots, groupAssignments, publishTelemetry, rollingSnapshots } from '../support/telemetry-stream';

const adminUrl = () => process.env.IRIS_ADMIN_DATABASE_URL!;

/** A counter of the aggregator's own /metrics (Prometheus text). */
async function counterOf(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/v1/metrics`)).text();
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

async function until(predicate: () => Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A stream of two versions, event times starting just ahead of now (so no partition clock has passed them),
 * published in event-time order as agents do (they record a request when it completes).
 */
function scenario(agent: string, totalRequests: number, seed: number) {
  const byTime = (a: { occurredAt: string }, b: { occurredAt: string }) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt);
  return generateTelemetry({
    agent,
    seed,
    startTimeMs: Date.now() + 1_000,
    totalRequests,
    requestRatePerSec: 2_000,
    sessionLength: { min: 2, max: 6 },
    tenants: ['acme', 'globex'],
    features: ['chat'],
    versions: [
      { versionId: 'v1', weight: 0.8, errorRate: 0.02, latencyMs: { distribution: 'lognormal', p50: 400, p99: 2_000 }, costUsd: { mean: 0.01, sd: 0.002 }, toolFailureRate: 0.01, policyViolationRate: 0, feedbackRate: 0.1 },
      { versionId: 'v2', weight: 0.2, errorRate: 0.2, latencyMs: { distribution: 'lognormal', p50: 600, p99: 3_000 }, costUsd: { mean: 0.02, sd: 0.004 }, toolFailureRate: 0.05, policyViolationRate: 0.05, feedbackRate: 0.1 },
    ],
  }).sort(byTime);
}

describe('metrics-aggregator on real Kafka and PostgreSQL', () => {
  let databaseUrl: string;
  const running: ServiceProcess[] = [];

  let lastPort = 0;
  const start = async (group: string) => {
    const port = (lastPort = await freePort());
    const service = spawnService('metrics-aggregator', {
      IRIS_MODE: 'kafka',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      DATABASE_URL: databaseUrl,
      PORT: String(lastPort),
      IRIS_AUTH_TOKENS: 'vera:viewer:viewer-token-0123456789',
      METRICS_CONSUMER_GROUP: group,
      METRICS_WINDOW_MS: '1000',
      METRICS_ALLOWED_LATENESS_MS: '5000',
      METRICS_IDLE_PARTITION_MS: '1000',
      METRICS_ROLLING_VIEWS: '5s,15s',
      LOG_LEVEL: 'warn',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    });
    running.push(service);
    return { service, port };
  };

  beforeAll(() => ensureIrisTopics());

  beforeEach(async () => {
    databaseUrl = await createFreshDatabase(adminUrl(), 'iris_metrics');
  });

  afterEach(async () => {
    await stopServices(running);
    await dropDatabase(databaseUrl, adminUrl());
  });

  it('turns a known stream into exact per-version totals; duplicates count once; poison goes to the DLQ', async () => {
    const agent = uniqueName('agent');
    const events = scenario(agent, 3_000, 7);
    const expected = summarizeTelemetry(events);
    const snapshots = await followSnapshots(agent);
    await start(uniqueName('aggregator'));
    const poisonKey = `poison-${agent}`; // this run's own: dead letters of earlier runs on a long-lived broker do not count
    await publishTelemetry(events, { key: poisonKey, values: ['{not json', null] });
    await publishTelemetry(events.slice(0, 500)); // redelivered by a confused producer: same event ids

    try {
      await snapshots.waitFor(
        () => (['v1', 'v2'] as const).every((v) => snapshots.total(v, 'requests') === expected[v].requests && snapshots.total(v, 'sessionsStarted') === expected[v].sessionsStarted),
        90_000,
        () => `v1 ${snapshots.total('v1', 'requests')}/${expected.v1.requests}, v2 ${snapshots.total('v2', 'requests')}/${expected.v2.requests}`,
      );
      for (const version of ['v1', 'v2'] as const) {
        expect(snapshots.total(version, 'errors')).toBe(expected[version].errors);
        expect(snapshots.total(version, 'toolCalls')).toBe(expected[version].toolCalls);
        expect(snapshots.total(version, 'toolFailures')).toBe(expected[version].toolFailures);
        expect(snapshots.total(version, 'tokensIn')).toBe(expected[version].tokensIn);
        expect(snapshots.total(version, 'sessionsStarted')).toBe(expected[version].sessionsStarted);
        expect(snapshots.total(version, 'costUsd')).toBeCloseTo(expected[version].costUsd, 6);
      }
      // The same figures over HTTP, and the aggregator's own health in Prometheus format.
      const response = await fetch(`http://127.0.0.1:${lastPort}/v1/agents/${agent}/metrics?window=15m`, { headers: { authorization: 'Bearer viewer-token-0123456789' } });
      const body = (await response.json()) as { versions: Array<{ key: { versionId: string; role: string }; figures: { requests: number; errorRate: number } }> };
      const primary = (versionId: string) => body.versions.find((v) => v.key.versionId === versionId && v.key.role === 'primary')!.figures;
      expect(primary('v1').requests).toBe(expected.v1.requests);
      expect(primary('v2').errorRate).toBeCloseTo(expected.v2.errors / expected.v2.requests, 10);
      const badWindow = await fetch(`http://127.0.0.1:${lastPort}/v1/agents/${agent}/metrics?window=2h`, { headers: { authorization: 'Bearer viewer-token-0123456789' } });
      expect(badWindow.status).toBe(400);
      expect(JSON.stringify(await badWindow.json())).toContain('window');
      const prometheus = await (await fetch(`http://127.0.0.1:${lastPort}/v1/metrics`)).text();
      expect(prometheus).toMatch(/iris_aggregator_events_applied_total \d+/);
      expect(prometheus).toMatch(/iris_aggregator_dead_lettered_total [1-9]/);
      expect(Number(/iris_aggregator_duplicate_events_total (\d+)/.exec(prometheus)![1]) + Number(/iris_aggregator_late_events_total (\d+)/.exec(prometheus)![1])).toBeGreaterThanOrEqual(500);

      // Rolling views are emitted too: the last 15 s, ending at a window's end.
      const rolling = await rollingSnapshots(agent);
      expect(rolling.length).toBeGreaterThan(0);
      expect(rolling.every((s) => Date.parse(s.data.windowEnd) - Date.parse(s.data.windowStart) <= 15_000)).toBe(true);

      const deadLetters = await countDeadLetters(dlqTopic(TOPICS.telemetry.name), poisonKey, 2);
      expect(deadLetters).toHaveLength(2);
      expect(deadLetters.every((headers) => headers['x-iris-error-kind'] === 'invalid' && headers['x-iris-source-topic'] === TOPICS.telemetry.name)).toBe(true);
    } finally {
      await snapshots.stop();
    }
  });

  it('gives the same totals after kill -9 mid-stream and a restart, and with two instances in one group', async () => {
    const agent = uniqueName('agent');
    const group = uniqueName('aggregator');
    const events = scenario(agent, 20_000, 11);
    const expected = summarizeTelemetry(events);
    const snapshots = await followSnapshots(agent);
    const first = await start(group);
    // kill -9 once it has counted a known number of events (its /metrics), while the first half is still coming in.
    const KILL_AFTER = 2_000;
    let appliedAtKill = 0;
    await Promise.all([
      publishTelemetry(events.slice(0, 10_000)),
      until(async () => (appliedAtKill = await counterOf(first.port, 'iris_aggregator_events_applied_total')) >= KILL_AFTER, 90_000, () => `${KILL_AFTER} applied events (have ${appliedAtKill})`).then(() => {
        first.service.child.kill('SIGKILL');
      }),
    ]);
    await first.service.exited;
    expect(appliedAtKill).toBeGreaterThanOrEqual(KILL_AFTER);

    const instances = await Promise.all([start(group), start(group)]); // restart, now scaled out to two instances
    await publishTelemetry(events.slice(10_000));
    try {
      await snapshots.waitFor(
        () => (['v1', 'v2'] as const).every((v) => snapshots.total(v, 'requests') >= expected[v].requests && snapshots.total(v, 'sessionsStarted') >= expected[v].sessionsStarted),
        200_000,
        () => `v1 ${snapshots.total('v1', 'requests')}/${expected.v1.requests}, v2 ${snapshots.total('v2', 'requests')}/${expected.v2.requests}`,
      );
      // Both instances of the group own partitions of the telemetry topic (the broker's view), and both counted events.
      let owned: number[][] = [];
      await until(async () => (owned = await groupAssignments(group, TOPICS.telemetry.name)).length === 2, 60_000, () => `two members in ${group} (${JSON.stringify(owned)})`);
      expect(owned.every((partitions) => partitions.length > 0)).toBe(true);
      expect(owned.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: TOPICS.telemetry.partitions }, (_, i) => i));
      for (const instance of instances) expect(await counterOf(instance.port, 'iris_aggregator_events_applied_total')).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 2_000)); // a double count would show up as more than expected
      for (const version of ['v1', 'v2'] as const) {
        expect(snapshots.total(version, 'requests')).toBe(expected[version].requests);
        expect(snapshots.total(version, 'errors')).toBe(expected[version].errors);
        expect(snapshots.total(version, 'sessionsStarted')).toBe(expected[version].sessionsStarted);
      }
    } finally {
      await snapshots.stop();
    }
  }, 300_000);
});
