/**
 * Rollback latency on a real broker and PostgreSQL: the metrics-aggregator and the rollout controller run as
 * their own processes (from dist/); a simulated agent routes sessions with the SDK's route() and publishes
 * telemetry through the SDK. Each trial rolls out a candidate that fails 40 % of its requests at 25 %; the
 * figure is the time from the candidate's first request to the moment a subscribed SDK applies the rollback
 * (its routing table gives the candidate no new sessions, and those weights are in force: the later of the
 * table's arrival and its newest epoch's effectiveAt, which includes the controller's propagation allowance).
 * Target: ≤ one window + 1 s. For comparison,
 * Flagger's default analysis runs every 60 s and rolls back after `threshold` failed checks (5 in its examples).
 * Run via `npm run bench -- rollback` (needs `npm run build`; env KAFKA_BROKERS, DATABASE_URL = admin URL).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { IrisAgentClient } from '../libs/agent-sdk/src';
import { simulateAgent, simulatedVersion } from '../libs/agent-sim/src';
import { createEvent, encodeMessage, exampleOf, keyFor, TOPICS } from '../libs/contracts/src';
import { createFreshDatabase, DEFAULT_DATABASE_URL, dropDatabase, uniqueName } from '../libs/testing/src';

export interface RollbackLatencyBenchResult {
  windowMs: number;
  trials: number[];
  medianMs: number;
  maxMs: number;
  /** Median rollback latency minus one window (target ≤ 1,000 ms). */
  medianOverWindowMs: number;
  /** Per trial, the same up to the rollback table's arrival in the SDK (before its weights are in force). */
  receivedTrials: number[];
  receivedMedianMs: number;
}

export interface RollbackLatencyBenchOptions {
  brokers: string;
  adminDatabaseUrl?: string;
  windowMs?: number;
  trials?: number;
}

const ROOT = join(__dirname, '..', '..');
const TOKEN = 'bench-operator-token-0123456789';

export async function runRollbackLatencyBench(options: RollbackLatencyBenchOptions): Promise<RollbackLatencyBenchResult> {
  const windowMs = options.windowMs ?? Number(process.env.BENCH_ROLLBACK_WINDOW_MS ?? 2_000);
  const trials = options.trials ?? Number(process.env.BENCH_ROLLBACK_TRIALS ?? 5);
  const adminUrl = options.adminDatabaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const databaseUrl = await createFreshDatabase(adminUrl, 'iris_bench_rollback');
  const children: ChildProcess[] = [];
  const kafka = new Kafka({ brokers: options.brokers.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  try {
    const common = { PATH: process.env.PATH, IRIS_MODE: 'kafka', KAFKA_BROKERS: options.brokers, DATABASE_URL: databaseUrl, IRIS_AUTH_TOKENS: `bench:operator:${TOKEN}`, LOG_LEVEL: 'error' };
    const aggregatorPort = await freePort();
    children.push(service('metrics-aggregator', { ...common, PORT: String(aggregatorPort), METRICS_CONSUMER_GROUP: uniqueName('bench-aggregator'), METRICS_WINDOW_MS: String(windowMs), METRICS_ALLOWED_LATENESS_MS: '300', METRICS_IDLE_PARTITION_MS: '1000', METRICS_ROLLING_VIEWS: 'none' }));
    const controllerPort = await freePort();
    children.push(service('rollout-controller', { ...common, PORT: String(controllerPort), ROLLOUT_CONSUMER_GROUP: uniqueName('bench-controller') }));
    const controller = `http://127.0.0.1:${controllerPort}`;
    await Promise.all([aggregatorPort, controllerPort].map((port) => waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.status === 200, 90_000)));
    await waitUntilCaughtUp(`http://127.0.0.1:${aggregatorPort}`);
    await producer.connect();

    const latencies: number[] = [];
    const receivedLatencies: number[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const agent = uniqueName('bench-agent');
      for (const [versionId, label] of [['v1', '1.0.0'], ['v2', '2.0.0']] as const) {
        const event = createEvent('registry.version.registered', { ...exampleOf('registry.version.registered').data, agent, versionId, label, previousVersionId: null });
        await producer.send({ topic: TOPICS.registry.name, acks: -1, messages: [{ key: keyFor(event), value: encodeMessage(event) }] });
      }
      await command(controller, agent, { candidateVersionId: 'v1' });
      const client = IrisAgentClient.forKafka({ agent, versionId: 'v1', brokers: options.brokers, routing: { defaultVersionId: 'v1', settleMs: 300 } });
      await client.ready({ timeoutMs: 30_000 });
      await waitFor(async () => client.routingTable() !== undefined, 30_000);
      let firstCandidateRequestAt: number | undefined;
      let rolledBackAt: number | undefined;
      let rollbackReceivedAt: number | undefined;
      client.onRoutingChange(({ table }) => {
        const candidate = table?.decision.table.versions.find((v) => v.versionId === 'v2');
        if (rolledBackAt === undefined && firstCandidateRequestAt !== undefined && candidate?.newSessionWeight === 0) {
          const effectiveAtMs = table!.epochs[table!.epochs.length - 1]?.effectiveAtMs ?? 0;
          rollbackReceivedAt = Date.now();
          rolledBackAt = Math.max(rollbackReceivedAt, effectiveAtMs); // new sessions leave the candidate once the new weights are in force
        }
      });
      const pins = new Map<string, string>();
      const abort = new AbortController();
      const simulation = simulateAgent({
        client,
        seed: trial + 1,
        clock: 'real',
        requestRatePerSec: 400,
        durationMs: 120_000,
        sessionLength: { min: 2, max: 6 },
        concurrentSessions: 40,
        tenants: ['acme'],
        features: ['chat'],
        versions: [simulatedVersion('v1'), simulatedVersion('v2', { errorRate: 0.4 })],
        signal: abort.signal,
        router: (request) => {
          const decision = client.route({ sessionId: request.sessionId, sessionStartedAt: request.sessionStartedAtMs, pinnedVersionId: pins.get(request.sessionId) });
          if (decision.pin) pins.set(request.sessionId, decision.pin);
          if (decision.versionId === 'v2' && firstCandidateRequestAt === undefined) firstCandidateRequestAt = Date.now();
          return { versionId: decision.versionId ?? 'v1' };
        },
      });
      try {
        await command(controller, agent, {
          candidateVersionId: 'v2',
          stages: [{ name: 'canary-25', trafficPercent: 25, minDurationMs: 600_000, minSamples: 1_000_000 }, { name: 'full', trafficPercent: 100, minDurationMs: 0, minSamples: 0 }],
          gates: { statistics: { minSamplesPerVersion: 20 } },
        });
        await waitFor(async () => rolledBackAt !== undefined, 60_000);
      } finally {
        abort.abort();
        await simulation;
        await client.close({ timeoutMs: 2_000 });
      }
      latencies.push(rolledBackAt! - firstCandidateRequestAt!);
      receivedLatencies.push(rollbackReceivedAt! - firstCandidateRequestAt!);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const medianMs = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const receivedSorted = [...receivedLatencies].sort((a, b) => a - b);
    return {
      windowMs,
      trials: latencies,
      medianMs,
      maxMs: sorted[sorted.length - 1]!,
      medianOverWindowMs: medianMs - windowMs,
      receivedTrials: receivedLatencies,
      receivedMedianMs: receivedSorted[Math.floor((receivedSorted.length - 1) / 2)]!,
    };
  } finally {
    await producer.disconnect().catch(() => undefined);
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((done) => (child.exitCode !== null ? done(undefined) : child.once('exit', done)))));
    await dropDatabase(databaseUrl, adminUrl).catch(() => undefined);
  }
}

function service(name: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['-r', './scripts/alias-loader.js', `dist/apps/${name}/src/main.js`], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}

async function command(base: string, agent: string, body: unknown): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt++) {
    const response = await fetch(`${base}/v1/agents/${agent}/rollouts`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status === 201) return;
    const reply = (await response.json()) as { code?: string };
    if (reply.code !== 'UNREGISTERED_VERSION') throw new Error(`start rollout: ${response.status} ${JSON.stringify(reply)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the controller never saw the registered versions');
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitUntilCaughtUp(base: string): Promise<void> {
  let quietSince = 0;
  await waitFor(async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const caughtUp = [...text.matchAll(/^iris_aggregator_consumer_lag\{[^}]*\} (\d+)/gm)].every((m) => m[1] === '0');
    quietSince = caughtUp ? quietSince || Date.now() : 0;
    return caughtUp && Date.now() - quietSince >= 2_000;
  }, 300_000);
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

if (require.main === module) {
  void runRollbackLatencyBench({ brokers: process.env.KAFKA_BROKERS! }).then((result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`));
}
