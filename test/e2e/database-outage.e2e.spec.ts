import { Kafka, logLevel } from 'kafkajs';
import { dlqTopic, TOPIC_LIST } from '@iris/contracts';
import { generateTelemetry, summarizeTelemetry } from '@iris/agent-sim';
import { createFreshDatabase, dropDatabase, uniqueName } from '@iris/testing';
import { freePort, spawnService, ServiceProcess, stopServices, waitUntilReady } from '../support/service-process';
import { AUTH_TOKENS, call, ContractPublisher, followRouting, OPERATOR_TOKEN, registered, snapshot, stateOf, VIEWER_TOKEN, weightOf } from '../support/rollout-stream';
import { TcpProxy } from '../support/tcp-proxy';
import { ensureIrisTopics, followSnapshots, publishTelemetry } from '../support/telemetry-stream';

/**
 * Issue 10 §1, for real: the rollout-controller and the metrics-aggregator reach PostgreSQL through a TCP proxy that
 * is cut for CUT_MS while a rollout is judged, commands arrive and telemetry is ingested. Afterwards: nothing was
 * dead-lettered, every snapshot was judged (the breaching one rolled the rollout back), every acknowledged command is
 * in the log, the aggregates are exact, and readiness went down during the cut and came back.
 */
const CUT_MS = 15_000;
const WINDOW_MS = 2_000;
const adminUrl = () => process.env.IRIS_ADMIN_DATABASE_URL!;
const kafka = () => new Kafka({ brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** High-water marks of every dead-letter topic. */
async function deadLetterOffsets(): Promise<Map<string, string[]>> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const offsets = new Map<string, string[]>();
    for (const topic of TOPIC_LIST.map((t) => dlqTopic(t.name))) {
      offsets.set(topic, (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((p) => p.high));
    }
    return offsets;
  } finally {
    await admin.disconnect();
  }
}

/** Dead letters written since `before`, each as [topic, value]. */
async function deadLettersSince(before: Map<string, string[]>): Promise<Array<[string, string]>> {
  const after = await deadLetterOffsets();
  const grown = [...after].filter(([topic, highs]) => highs.some((high, partition) => BigInt(high) > BigInt(before.get(topic)?.[partition] ?? '0')));
  if (grown.length === 0) return [];
  const expected = grown.reduce((sum, [topic, highs]) => sum + highs.reduce((n, high, partition) => n + Number(BigInt(high) - BigInt(before.get(topic)?.[partition] ?? '0')), 0), 0);
  const consumer = kafka().consumer({ groupId: uniqueName('outage-dlq') });
  const found: Array<[string, string]> = [];
  await consumer.connect();
  try {
    for (const [topic] of grown) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        if (BigInt(message.offset) >= BigInt(before.get(topic)?.[partition] ?? '0')) found.push([topic, message.value?.toString() ?? '']);
      },
    });
    await eventually('the new dead letters', () => (found.length >= expected ? true : undefined), 30_000);
  } finally {
    await consumer.disconnect();
  }
  return found;
}

/** Polls /health/ready of each service; keeps what it saw while cut and after. */
function watchReadiness(bases: Record<string, string>, proxy: TcpProxy) {
  const seen: Record<string, { downWhileCut: number; reasons: Set<string>; lastStatus: number }> = {};
  for (const name of Object.keys(bases)) seen[name] = { downWhileCut: 0, reasons: new Set(), lastStatus: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(
        Object.entries(bases).map(async ([name, base]) => {
          const response = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
          const status = response?.status ?? 0;
          const body = (await response?.json().catch(() => undefined)) as { checks?: Record<string, { ok: boolean }> } | undefined;
          seen[name]!.lastStatus = status;
          if (proxy.isCut && status === 503) {
            seen[name]!.downWhileCut++;
            for (const [check, result] of Object.entries(body?.checks ?? {})) if (!result.ok) seen[name]!.reasons.add(check);
          }
        }),
      );
      await sleep(250);
    }
  })();
  return {
    seen,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

describe('a PostgreSQL outage of 15 s under the rollout-controller and the metrics-aggregator', () => {
  const running: ServiceProcess[] = [];
  /** Kafka followers to stop whatever happens. */
  const followers: Array<{ stop(): Promise<void> }> = [];
  let databaseUrl: string;
  let proxy: TcpProxy;
  let publisher: ContractPublisher;

  beforeAll(async () => {
    await ensureIrisTopics();
    publisher = await ContractPublisher.connect();
    databaseUrl = await createFreshDatabase(adminUrl(), 'iris_outage');
    const target = new URL(databaseUrl);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
  });

  afterAll(async () => {
    await Promise.all(followers.splice(0).map((follower) => follower.stop().catch(() => undefined)));
    proxy.restore();
    await stopServices(running);
    await proxy.close();
    await publisher.close();
    await dropDatabase(databaseUrl, adminUrl());
  });

  it('dead-letters nothing, judges every snapshot, loses no acknowledged command, counts exactly, and shows the outage in readiness', async () => {
    const viaProxy = new URL(databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const common = { IRIS_MODE: 'kafka', KAFKA_BROKERS: process.env.KAFKA_BROKERS, DATABASE_URL: viaProxy.toString(), IRIS_AUTH_TOKENS: AUTH_TOKENS, LOG_LEVEL: 'warn', KAFKA_SESSION_TIMEOUT_MS: '10000' };
    const [aggregatorPort, controllerPort] = [await freePort(), await freePort()];
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
      spawnService('rollout-controller', { ...common, LOG_LEVEL: 'info', PORT: String(controllerPort), ROLLOUT_CONSUMER_GROUP: uniqueName('controller'), ROLLOUT_TICK_INTERVAL_MS: '250' }),
    );
    const aggregator = `http://127.0.0.1:${aggregatorPort}`;
    const controller = `http://127.0.0.1:${controllerPort}`;
    await Promise.all([waitUntilReady(aggregator), waitUntilReady(controller)]);
    const deadLettersBefore = await deadLetterOffsets();

    // Commands: each is sent until acknowledged (2xx), with the same commandId; 503 means "not applied, send again".
    const acknowledged: Array<{ agent: string; commandId: string }> = [];
    let refusedWhileCut = 0;
    const command = async (agent: string, path: string, body: Record<string, unknown>) => {
      const commandId = uniqueName('cmd');
      for (;;) {
        const response = await fetch(`${controller}/v1/agents/${agent}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ...body, commandId }),
          signal: AbortSignal.timeout(10_000),
        }).catch(() => undefined); // a timeout: not acknowledged, sent again
        const answer = response && ((await response.json()) as { code?: string });
        if (response && response.status < 300) return void acknowledged.push({ agent, commandId });
        if (response && response.status !== 503 && answer?.code !== 'UNREGISTERED_VERSION') throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`);
        if (proxy.isCut && response?.status === 503) refusedWhileCut++;
        await sleep(500);
      }
    };

    // A rollout holding at canary-25 (its stage can't complete during the test), judged on windows we publish.
    const agent = uniqueName('agent');
    const commandAgents = Array.from({ length: 6 }, () => uniqueName('agent'));
    await publisher.publish(registered(agent, 'v1', '1.0.0'), registered(agent, 'v2', '2.0.0'), ...commandAgents.map((a) => registered(a, 'v1', '1.0.0')));
    const routing = await followRouting(agent);
    followers.push(routing);
    await command(agent, '/rollouts', { candidateVersionId: 'v1' });
    await command(agent, '/rollouts', {
      candidateVersionId: 'v2',
      stages: [{ name: 'canary-25', trafficPercent: 25, minDurationMs: 600_000, minSamples: 1_000_000 }, { name: 'full', trafficPercent: 100, minDurationMs: 0, minSamples: 0 }],
      gates: { statistics: { minSamplesPerVersion: 20 } },
    });
    await routing.waitFor((d) => d.some((e) => weightOf(e, 'v2') === 0.25), 30_000, 'canary-25');
    const t0 = Date.now() + 100;
    const healthy = (i: number) => snapshot(agent, t0 + i * WINDOW_MS, WINDOW_MS, { v1: { requests: 900, errorRate: 0.01 }, v2: { requests: 300, errorRate: 0.01 } });
    const published = [healthy(0)];
    await publisher.publish(published[0]!);
    await Promise.all(commandAgents.slice(0, 2).map((a) => command(a, '/rollouts', { candidateVersionId: 'v1' })));

    // Telemetry of two agents: one stream before the cut, one during it.
    const telemetry = (telemetryAgent: string, seed: number, startTimeMs = Date.now() + 1_000) =>
      generateTelemetry({
        agent: telemetryAgent,
        seed,
        startTimeMs,
        totalRequests: 2_000,
        requestRatePerSec: 2_000,
        sessionLength: { min: 2, max: 6 },
        tenants: ['acme', 'globex'],
        features: ['chat'],
        versions: [
          { versionId: 'v1', weight: 0.8, errorRate: 0.02, latencyMs: { distribution: 'lognormal', p50: 400, p99: 2_000 }, costUsd: { mean: 0.01, sd: 0.002 }, toolFailureRate: 0.01, policyViolationRate: 0, feedbackRate: 0.1 },
          { versionId: 'v2', weight: 0.2, errorRate: 0.2, latencyMs: { distribution: 'lognormal', p50: 600, p99: 3_000 }, costUsd: { mean: 0.02, sd: 0.004 }, toolFailureRate: 0.05, policyViolationRate: 0.05, feedbackRate: 0.1 },
        ],
      }).sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
    const [before, during] = [uniqueName('agent'), uniqueName('agent')];
    // Each stream is made when it is published (event times just ahead of now, as agents stamp them).
    const streams = { [before]: telemetry(before, 3), [during]: [] as ReturnType<typeof telemetry> };
    const snapshotsOf = { [before]: await followSnapshots(before), [during]: await followSnapshots(during) };
    followers.push(...Object.values(snapshotsOf));
    await publishTelemetry(streams[before]!);
    await sleep(1_500);

    // --- the cut ---
    const readiness = watchReadiness({ aggregator, controller }, proxy);
    followers.push(readiness);
    proxy.cut();
    const cutAt = Date.now();
    const pendingCommands = commandAgents.slice(2, 4).map((a) => command(a, '/rollouts', { candidateVersionId: 'v1' }));
    await sleep(1_000);
    // Its events start after the first stream's last one: events stamped earlier than what a partition has already seen,
    // by more than the allowed lateness (300 ms), are late by design — the first stream's latency tail reaches 5 s past
    // its start, and when set-up was quick the two overlapped in event time (seen: 28 and 82 late events).
    const lastBeforeMs = Math.max(...streams[before]!.map((event) => Date.parse(event.occurredAt)));
    streams[during] = telemetry(during, 5, Math.max(Date.now() + 1_000, lastBeforeMs + 1_000));
    await publishTelemetry(streams[during]!);
    for (let i = 1; i <= 4; i++) published.push(healthy(i));
    // the window that breaches: v2 errs on half of its requests
    published.push(snapshot(agent, t0 + 5 * WINDOW_MS, WINDOW_MS, { v1: { requests: 9_000, errorRate: 0.01 }, v2: { requests: 3_000, errorRate: 0.5 } }));
    await publisher.publish(...published.slice(1));
    await sleep(CUT_MS - (Date.now() - cutAt));
    const cutMs = proxy.restore();
    // --- restored ---

    await Promise.all([...pendingCommands, ...commandAgents.slice(4).map((a) => command(a, '/rollouts', { candidateVersionId: 'v1' }))]);
    await routing.waitFor((d) => weightOf(d[d.length - 1]!, 'v2') === 0 && stateOf(d[d.length - 1]!, 'v2') !== 'active', 30_000, 'rollback after the outage').catch(async (error: Error) => {
      const history = await call(controller, 'GET', `/v1/agents/${agent}/rollout/history`, VIEWER_TOKEN);
      const logs = running[1]!.lines.filter((line) => !line.includes('rollout decision')).slice(-30);
      const types = history.body?.events?.map((e: { event: { type: string; data: { windowEnd?: string } } }) => `${e.event.type}${e.event.data.windowEnd ? `@${e.event.data.windowEnd}` : ''}`);
      throw new Error(`${error.message.slice(0, 200)}\npublished: ${published.map((s) => (s.data as { windowEnd: string }).windowEnd).join(' ')}\nhistory: ${types?.join(' ')}\ncontroller logs:\n${logs.map((l) => l.slice(0, 400)).join('\n')}`);
    });
    // Telemetry published before the cut: counted exactly.
    const expectedBefore = summarizeTelemetry(streams[before]!);
    const snapshotsBefore = snapshotsOf[before]!;
    // A wait that fails says where the aggregator's partitions stand (watermarks, lag, stalled).
    const withAggregatorState = async (error: Error): Promise<never> => {
      const text = await (await fetch(`${aggregator}/metrics`)).text().catch(() => '');
      throw new Error(`${error.message}\nnow ${Date.now()}\n${text.split('\n').filter((line) => line && !line.startsWith('#')).join('\n')}`);
    };
    await snapshotsBefore.waitFor(
      () => (['v1', 'v2'] as const).every((v) => snapshotsBefore.total(v, 'requests') >= expectedBefore[v].requests && snapshotsBefore.total(v, 'sessionsStarted') >= expectedBefore[v].sessionsStarted),
      45_000,
      () => `v1 ${snapshotsBefore.total('v1', 'requests')}/${expectedBefore.v1.requests}, v2 ${snapshotsBefore.total('v2', 'requests')}/${expectedBefore.v2.requests}`,
    ).catch(withAggregatorState);
    // Telemetry published during the cut: counted exactly too, none of it late (a batch applied after the outage carries
    // the partition end as of its fetch: the aggregator reads the end before it takes a quiet partition for idle).
    const expectedDuring = summarizeTelemetry(streams[during]!);
    const snapshotsDuring = snapshotsOf[during]!;
    await snapshotsDuring.waitFor(
      () => (['v1', 'v2'] as const).every((v) => snapshotsDuring.total(v, 'requests') >= expectedDuring[v].requests && snapshotsDuring.total(v, 'sessionsStarted') >= expectedDuring[v].sessionsStarted),
      45_000,
      () => `v1 ${snapshotsDuring.total('v1', 'requests')}/${expectedDuring.v1.requests}, v2 ${snapshotsDuring.total('v2', 'requests')}/${expectedDuring.v2.requests}`,
    ).catch(withAggregatorState);
    await eventually('both services ready again', () => (readiness.seen.aggregator!.lastStatus === 200 && readiness.seen.controller!.lastStatus === 200 ? true : undefined), 30_000);
    await readiness.stop();
    await sleep(1_000); // a double count would show up as more than expected
    const lateEvents = Number(/^iris_aggregator_late_events_total (\d+)/m.exec(await (await fetch(`${aggregator}/metrics`)).text())?.[1]);
    const FIGURES = ['requests', 'errors', 'toolCalls', 'toolFailures', 'tokensIn', 'sessionsStarted'] as const;
    const figuresOf = (snapshots: typeof snapshotsBefore) => (['v1', 'v2'] as const).map((v) => FIGURES.map((f) => `${v}.${f}=${snapshots.total(v, f)}`).join(' '));
    const figuresExpected = (expected: typeof expectedBefore) => (['v1', 'v2'] as const).map((v) => FIGURES.map((f) => `${v}.${f}=${expected[v][f]}`).join(' '));
    expect(figuresOf(snapshotsBefore)).toEqual(figuresExpected(expectedBefore));
    // Exact totals for both streams are the claim: a late event is counted apart, not in its window, so none of this
    // test's events was late. The aggregator's late counter is not asserted: it also counts earlier tests' telemetry
    // on the shared topic (its group reads the topic from the start), which depends on the suite's order.
    expect(figuresOf(snapshotsDuring)).toEqual(figuresExpected(expectedDuring));

    // Every snapshot judged; the breaching one rolled the rollout back.
    const history = (await call(controller, 'GET', `/v1/agents/${agent}/rollout/history`, VIEWER_TOKEN)).body.events.map((e: { event: unknown }) => e.event) as Array<{ type: string; data: Record<string, unknown> }>;
    const judged = new Set(history.filter((e) => e.type === 'SnapshotEvaluated').map((e) => e.data.snapshotEventId));
    const unjudged = published.filter((s) => !judged.has(s.eventId)).map((s) => s.eventId);
    expect(unjudged).toEqual([]);
    expect(history.find((e) => e.type === 'RolledBack')?.data).toMatchObject({ trigger: 'automatic' });

    // Every acknowledged command is in the log.
    const lost: string[] = [];
    for (const { agent: commandAgent, commandId } of acknowledged) {
      const events = (await call(controller, 'GET', `/v1/agents/${commandAgent}/rollout/history`, VIEWER_TOKEN)).body.events as Array<{ event: { metadata: { commandId: string } } }>;
      if (!events.some((e) => e.event.metadata.commandId === commandId)) lost.push(`${commandAgent} ${commandId}`);
    }
    expect(lost).toEqual([]);

    // Readiness went down during the cut (naming the database) and came back.
    for (const name of ['aggregator', 'controller'] as const) {
      expect(readiness.seen[name]!.downWhileCut).toBeGreaterThan(0);
      expect(readiness.seen[name]!.reasons).toContain('database');
      expect(readiness.seen[name]!.lastStatus).toBe(200);
    }
    // An outage is said once, not once per retry (the snapshot emitter retries every emit interval).
    expect(running[0]!.lines.filter((line) => line.includes('snapshot emission failed')).length).toBeLessThanOrEqual(1);

    // Nothing dead-lettered: none of this test's records in any DLQ (and, on a broker of its own, no dead letter at all).
    const deadLetters = await deadLettersSince(deadLettersBefore);
    const ours = deadLetters.filter(([, value]) => [agent, before, during, ...commandAgents].some((name) => value.includes(name)));
    expect(ours).toEqual([]);

    const ingested = Object.values(streams).reduce((sum, events) => sum + events.length, 0);
    process.stdout.write(
      `database outage: cut ${cutMs} ms (${proxy.resetConnections} connections reset); dead-lettered ${ours.length} (all topics: ${deadLetters.length}); ` +
        `snapshots judged ${published.length - unjudged.length}/${published.length} (rolled back on the breaching one); ` +
        `commands acknowledged ${acknowledged.length}, lost ${lost.length} (${refusedWhileCut} answers 503 while cut); telemetry events ${ingested} (before the cut ${streams[before]!.length}, during it ${streams[during]!.length}: both counted exactly; the aggregator counted ${lateEvents} late events in all, earlier tests' telemetry on the topic included); ` +
        `readiness down while cut: aggregator ${readiness.seen.aggregator!.downWhileCut} polls (${[...readiness.seen.aggregator!.reasons].join(', ')}), controller ${readiness.seen.controller!.downWhileCut} polls (${[...readiness.seen.controller!.reasons].join(', ')}), both ready after\n`,
    );
  }, 150_000);
});
