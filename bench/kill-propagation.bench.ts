/**
 * Kill propagation on a real broker and PostgreSQL: the kill switch runs as its own process (from dist/), and
 * ≥ 10 SDK instances run in processes of their own (bench/kill-propagation-agent). Each kill is a version × tenant kill
 * (a new tenant each time, so each is a change every instance must apply); the figure is, per kill and instance, the
 * time from the kill API answering 2xx to that instance's route() answering `killed` with the kill's id. No rollout
 * controller runs: the routing table is published once, as the controller would have.
 * Baseline, same run: a client polling GET /v1/kills every 15 s (Unleash's default refresh interval); its figure per
 * kill is the time from the 2xx to the end of the first poll whose answer lists the kill (kills stay in force).
 * Run via `npm run bench -- kills` (needs `npm run build`; env KAFKA_BROKERS, DATABASE_URL = admin URL;
 * BENCH_KILLS (200), BENCH_KILL_INSTANCES (10), BENCH_KILL_INTERVAL_MS (250), BENCH_POLL_INTERVAL_MS (15,000),
 * BENCH_KILL_WARMUP (5 kills first, not counted: the first records through a fresh producer and fresh consumers)).
 */
import { ChildProcess, fork, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createEvent, encodeMessage, exampleOf, keyFor, TOPICS, type IrisEvent } from '../libs/contracts/src';
import { createFreshDatabase, DEFAULT_DATABASE_URL, dropDatabase, uniqueName } from '../libs/testing/src';

export interface Distribution {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface KillPropagationBenchResult {
  kills: number;
  instances: number;
  /** Kill API 2xx → route() answers killed, over every (kill, instance). */
  sdk: Distribution;
  /** Same, the slowest instance of each kill (every instance has it). */
  sdkAllInstances: Distribution;
  /** Kill API 2xx → a 15-s poller's answer lists the kill. */
  polling: Distribution & { intervalMs: number; polls: number };
  /** polling p50 / sdk p50. */
  speedupP50: number;
  /** The kill API's own answer time (request → 2xx). */
  apiMs: Distribution;
  /** The slowest and the fastest instance of each kill, in kill order (to see outliers, and whether all instances had them). */
  slowestPerKillMs: number[];
  fastestPerKillMs: number[];
}

const ROOT = join(__dirname, '..', '..');
const TOKEN = 'bench-operator-token-0123456789';
const wallNow = () => performance.timeOrigin + performance.now();

export async function runKillPropagationBench(options: { brokers: string; adminDatabaseUrl?: string }): Promise<KillPropagationBenchResult> {
  const kills = Number(process.env.BENCH_KILLS ?? 200);
  const warmUp = Number(process.env.BENCH_KILL_WARMUP ?? 5);
  const instances = Number(process.env.BENCH_KILL_INSTANCES ?? 10);
  const intervalMs = Number(process.env.BENCH_KILL_INTERVAL_MS ?? 250);
  const pollIntervalMs = Number(process.env.BENCH_POLL_INTERVAL_MS ?? 15_000);
  const adminUrl = options.adminDatabaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const databaseUrl = await createFreshDatabase(adminUrl, 'iris_bench_kills');
  const environment = `bench-${Date.now().toString(36)}`;
  const agent = uniqueName('bench-agent');
  const children: ChildProcess[] = [];
  const kafka = new Kafka({ brokers: options.brokers.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  let poller: NodeJS.Timeout | undefined;
  try {
    await producer.connect();
    const publish = async (event: IrisEvent) => producer.send({ topic: TOPICS[event.type === 'routing.decision' ? 'routing' : 'registry'].name, acks: -1, messages: [{ key: keyFor(event), value: encodeMessage(event) }] });
    for (const [versionId, label] of [['v1', '1.0.0'], ['v2', '2.0.0']] as const) {
      await publish(createEvent('registry.version.registered', { ...exampleOf('registry.version.registered').data, agent, versionId, label, previousVersionId: null }));
    }
    await publish(
      createEvent(
        'routing.decision',
        {
          agent,
          revision: 1,
          table: {
            fallbackVersionId: 'v1',
            versions: [
              { versionId: 'v1', state: 'active', newSessionWeight: 0.5, existingSessions: 'keep' },
              { versionId: 'v2', state: 'canary', newSessionWeight: 0.5, existingSessions: 'keep' },
            ],
          },
        },
        { environment },
      ),
    );

    const port = await freePort();
    children.push(
      spawn(process.execPath, ['-r', './scripts/alias-loader.js', 'dist/apps/kill-switch/src/main.js'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, IRIS_MODE: 'kafka', KAFKA_BROKERS: options.brokers, DATABASE_URL: databaseUrl, IRIS_AUTH_TOKENS: `bench:operator:${TOKEN}`, IRIS_ENVIRONMENT: environment, PORT: String(port), LOG_LEVEL: 'error' },
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/health/ready`).catch(() => undefined))?.status === 200, 90_000);

    // the SDK instances, each in its own process
    const applied = new Map<string, number[]>();
    const readyCount = { n: 0 };
    for (let i = 0; i < instances; i++) {
      const child = fork(join(__dirname, 'kill-propagation-agent.js'), [], {
        cwd: ROOT,
        execArgv: ['-r', './scripts/alias-loader.js'],
        env: { PATH: process.env.PATH, BENCH_BROKERS: options.brokers, BENCH_AGENT: agent, BENCH_ENVIRONMENT: environment, BENCH_INSTANCE: String(i) },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      child.on('message', (message: { kind: string; killId?: string; at?: number }) => {
        if (message.kind === 'ready') readyCount.n++;
        if (message.kind === 'applied') applied.set(message.killId!, [...(applied.get(message.killId!) ?? []), message.at!]);
      });
      children.push(child);
    }
    await waitFor(async () => readyCount.n === instances, 120_000);

    // the kill switch must know the versions before a kill of one is accepted (it follows the registry topic)
    await waitFor(async () => (await fetch(`${base}/v1/agents/${agent}/kills`, { headers: { authorization: `Bearer ${TOKEN}` } })).status === 200, 60_000);

    // the polling baseline runs through the whole run
    const seenByPoll = new Map<string, number>();
    let polls = 0;
    const poll = async () => {
      const response = await fetch(`${base}/v1/kills`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = (await response.json()) as { kills: Array<{ killId: string }> };
      const at = wallNow();
      polls++;
      for (const kill of body.kills) if (!seenByPoll.has(kill.killId)) seenByPoll.set(kill.killId, at);
    };
    const pollLoop = () => {
      poller = setTimeout(() => void poll().finally(pollLoop), pollIntervalMs);
    };
    await poll();
    pollLoop();

    const acknowledged = new Map<string, number>();
    const apiMs: number[] = [];
    for (let i = -warmUp; i < kills; i++) {
      const killId = i < 0 ? `warm-up-${-i}` : `k-${i}`;
      const sent = wallNow();
      const response = await fetch(`${base}/v1/kills`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ killId, scope: { agent, versionId: 'v2', tenant: `tenant-${i}` }, reason: 'propagation bench' }),
      });
      const at = wallNow();
      if (response.status !== 201) throw new Error(`kill ${killId}: ${response.status} ${await response.text()}`);
      if (i >= 0) {
        acknowledged.set(killId, at);
        apiMs.push(at - sent);
      }
      await waitFor(async () => (applied.get(killId)?.length ?? 0) >= instances, 30_000);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    // the poller's last kills: wait for the next poll to list them
    await waitFor(async () => [...acknowledged.keys()].every((killId) => seenByPoll.has(killId)), pollIntervalMs * 2 + 10_000);

    const perInstance: number[] = [];
    const slowest: number[] = [];
    const fastest: number[] = [];
    const polling: number[] = [];
    for (const [killId, at] of acknowledged) {
      const times = applied.get(killId)!.map((t) => t - at);
      perInstance.push(...times);
      slowest.push(Math.max(...times));
      fastest.push(Math.min(...times));
      polling.push(seenByPoll.get(killId)! - at);
    }
    const sdk = distribution(perInstance);
    const polled = distribution(polling);
    return {
      kills,
      instances,
      sdk,
      sdkAllInstances: distribution(slowest),
      polling: { ...polled, intervalMs: pollIntervalMs, polls },
      speedupP50: round(polled.p50Ms / sdk.p50Ms),
      apiMs: distribution(apiMs),
      slowestPerKillMs: slowest.map(round),
      fastestPerKillMs: fastest.map(round),
    };
  } finally {
    clearTimeout(poller);
    for (const child of children) {
      if (child.connected) child.send({ kind: 'stop' });
      else child.kill('SIGTERM');
    }
    await Promise.all(children.map((child) => (child.exitCode !== null ? undefined : new Promise((done) => child.once('exit', done)))));
    await producer.disconnect().catch(() => undefined);
    await dropDatabase(databaseUrl, adminUrl).catch(() => undefined);
  }
}

function distribution(values: number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { count: sorted.length, p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), maxMs: round(sorted[sorted.length - 1]!) };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
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
  void runKillPropagationBench({ brokers: process.env.KAFKA_BROKERS! }).then((result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`));
}
