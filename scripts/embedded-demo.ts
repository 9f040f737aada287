import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IrisAgentClient } from '@iris/agent-sdk';
import { simulateAgent, simulatedVersion, type SimulatedVersion } from '@iris/agent-sim';
import { decodeMessage, EventOf, IrisEvent, TOPICS } from '@iris/contracts';
import type { MessageBus, Subscription } from '@iris/messaging';

const AGENT = 'support-bot';
const EXAMPLES = join(__dirname, '..', '..', 'examples', 'agents', AGENT);

export interface DemoEndpoints {
  registry: string;
  rolloutController: string;
  /** Operator (or admin) bearer token for the demo's own calls. */
  token: string;
}

type Labels = Map<string, string>;
const clock = (iso: string) => iso.slice(11, 19);
const now = () => clock(new Date().toISOString());
const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 && x > 0 ? 1 : 0)}%`;

/** One line per closed window: the figures a rollout gate judges, per version (labels instead of ids). */
export function formatSnapshot(snapshot: EventOf<'metrics.snapshot'>, labels: Labels = new Map()): string {
  const versions = Object.entries(snapshot.data.versions)
    .map(([versionId, f]) => ({ name: labels.get(versionId) ?? versionId, f }))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(({ name, f }) => {
      const errorRate = ((f.errorRate ?? 0) * 100).toFixed(1);
      const p99 = Math.round(f.p99LatencyMs ?? 0).toLocaleString('en-US');
      return `${name}: ${f.requests ?? 0} req, errors ${errorRate}%, p99 ${p99} ms, $${(f.costPerRequest ?? 0).toFixed(4)}/req, live sessions ${f.liveSessions ?? 0}`;
    });
  const role = snapshot.data.role === 'shadow' ? ' (shadow)' : '';
  return `  [${clock(snapshot.data.windowStart)}–${clock(snapshot.data.windowEnd)}] ${snapshot.data.agent}${role}  ${versions.join('  |  ')}\n`;
}

function formatRouting(decision: EventOf<'routing.decision'>, labels: Labels): string {
  const versions = decision.data.table.versions
    .filter((v) => v.state !== 'drained' && v.state !== 'retired')
    .map((v) => `${labels.get(v.versionId) ?? v.versionId} ${v.state}${v.newSessionWeight > 0 ? ` ${pct(v.newSessionWeight)}` : ''}`);
  const shadow = decision.data.table.shadowTargets.map((t) => ` (mirroring ${pct(t.sampleRate)} to ${labels.get(t.versionId) ?? t.versionId})`).join('');
  return `  [${now()}] routing r${decision.data.revision}: ${versions.join(' | ')}${shadow}\n`;
}

function formatRolloutEvent(event: EventOf<'rollout.event'>, labels: Labels): string | undefined {
  const d = event.data.detail as Record<string, unknown>;
  const label = (id: unknown) => labels.get(String(id)) ?? String(id);
  switch (event.data.kind) {
    case 'stage-advanced':
      return `  [${now()}] stage → ${(d.stage as { name: string }).name}: ${String(d.reason)}\n`;
    case 'rollout-completed':
      return `  [${now()}] rollout of ${label(d.candidateVersionId)} completed: it takes every new session; older versions drain as their sessions end\n`;
    case 'rolled-back': {
      const failed = (d.verdicts as Array<{ gate: string; measured: number | null; limit: number; pValue?: number }>)
        .map((v) => `${v.gate} ${v.measured === null ? '—' : +v.measured.toFixed(4)} > ${+v.limit.toFixed(4)}${v.pValue === undefined ? '' : ` (p=${v.pValue.toExponential(1)})`}`)
        .join(', ');
      return `  [${now()}] AUTOMATIC ROLLBACK of ${label(d.candidateVersionId)} (${String(d.trigger)}): ${failed}; new sessions back on the baseline, its sessions ${String(d.sessionPolicy)}\n`;
    }
    case 'version-drained':
      return `  [${now()}] ${label(d.versionId)} drained: no live sessions left\n`;
    default:
      return undefined;
  }
}

async function call(url: string, token: string, body: string, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Starts a rollout; the controller learns registered versions from the bus, so "not registered yet" is retried. */
async function startRollout(endpoints: DemoEndpoints, body: Record<string, unknown>, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const response = await call(`${endpoints.rolloutController}/v1/agents/${AGENT}/rollouts`, endpoints.token, JSON.stringify(body));
    if (response.status === 201) return;
    if (response.body.code !== 'UNREGISTERED_VERSION') throw new Error(`rollout refused: ${JSON.stringify(response.body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const behaviour = (versionId: string, overrides: Partial<SimulatedVersion> = {}): SimulatedVersion =>
  simulatedVersion(versionId, { latencyMs: { distribution: 'lognormal', p50: 450, p99: 1_600 }, costUsd: { mean: 0.01, sd: 0.002 }, feedbackRate: 0.05, ...overrides });

/**
 * The demo behind `npm start`, on the embedded default: the three `support-bot` versions of examples/agents are
 * registered; 1.0.0 is adopted; a simulated agent routes every session with the SDK's route() and reports through
 * the SDK; 1.1.0 (healthy) is rolled out shadow → 10 % → 50 % → 100 % on the aggregator's windows; then 2.0.0
 * (30 % errors) is rolled out and rolled back automatically. Windows, routing tables and decisions are printed.
 */
export async function startDemo(bus: MessageBus, endpoints: DemoEndpoints, write: (line: string) => void): Promise<() => Promise<void>> {
  const abort = new AbortController();
  const labels: Labels = new Map();
  const ids: Record<string, string> = {};
  for (const file of ['1.0.0.yaml', '1.1.0.yaml', '2.0.0.yaml']) {
    const response = await call(`${endpoints.registry}/v1/agents/${AGENT}/versions`, endpoints.token, readFileSync(join(EXAMPLES, file), 'utf8'), 'application/yaml');
    if (response.status >= 300) throw new Error(`registering ${file}: ${JSON.stringify(response.body)}`);
    const { versionId, label, bump } = response.body as { versionId: string; label: string; bump: string };
    labels.set(versionId, label);
    ids[label] = versionId;
    write(`  [${now()}] registered ${AGENT} ${label} = ${versionId}${bump && bump !== 'none' ? ` (${bump} change)` : ''}\n`);
  }

  const subscriptions: Subscription[] = [];
  let completed = (): void => undefined;
  const firstCompleted = new Promise<void>((done) => (completed = done));
  const follow = (topic: string, groupId: string, handle: (event: IrisEvent) => void) =>
    bus.subscribe<IrisEvent>({
      topic,
      groupId,
      fromBeginning: true,
      decode: (message) => decodeMessage(message.value),
      handleBatch: async (messages) => messages.forEach(({ value }) => handle(value)),
    });
  subscriptions.push(
    await follow(TOPICS.metrics.name, 'iris-demo-windows', (e) => {
      if (e.type === 'metrics.snapshot' && e.data.agent === AGENT && e.data.view === 'window') write(formatSnapshot(e, labels));
    }),
    await follow(TOPICS.routing.name, 'iris-demo-routing', (e) => {
      if (e.type === 'routing.decision' && e.data.agent === AGENT) write(formatRouting(e, labels));
    }),
    await follow(TOPICS.rollout.name, 'iris-demo-rollouts', (e) => {
      if (e.type !== 'rollout.event' || e.data.agent !== AGENT) return;
      const line = formatRolloutEvent(e, labels);
      if (line) write(line);
      if (e.data.kind === 'rollout-completed' && (e.data.detail as { candidateVersionId?: string }).candidateVersionId === ids['1.1.0']) completed();
    }),
  );

  await startRollout(endpoints, { candidateVersionId: ids['1.0.0'] }, abort.signal);
  const client = IrisAgentClient.forBus(bus, { agent: AGENT, versionId: ids['1.0.0']!, routing: { defaultVersionId: ids['1.0.0'] } });
  await client.ready({ timeoutMs: 10_000 });
  const pins = new Map<string, string>();
  const simulation = simulateAgent({
    client,
    seed: 42,
    clock: 'real',
    requestRatePerSec: 40,
    durationMs: 7 * 24 * 3_600_000,
    sessionLength: { min: 2, max: 8 },
    concurrentSessions: 12,
    tenants: ['acme', 'globex'],
    features: ['chat', 'refunds'],
    signal: abort.signal,
    versions: [
      behaviour(ids['1.0.0']!),
      behaviour(ids['1.1.0']!, { latencyMs: { distribution: 'lognormal', p50: 420, p99: 1_500 } }),
      behaviour(ids['2.0.0']!, { errorRate: 0.3, latencyMs: { distribution: 'lognormal', p50: 700, p99: 2_600 }, costUsd: { mean: 0.014, sd: 0.003 } }),
    ],
    router: (request) => {
      const decision = client.route({ sessionId: request.sessionId, tenant: request.tenant, feature: request.feature, user: request.user, sessionStartedAt: request.sessionStartedAtMs, pinnedVersionId: pins.get(request.sessionId) });
      if (decision.pin) pins.set(request.sessionId, decision.pin);
      return { versionId: decision.versionId ?? ids['1.0.0']!, shadowVersionIds: decision.shadow.map((s) => s.versionId) };
    },
  }).catch(() => undefined);

  const stage = (name: string, trafficPercent: number, minSamples: number) => ({ name, trafficPercent, minDurationMs: 10_000, minSamples });
  const script = (async () => {
    write(`  [${now()}] starting the rollout of 1.1.0: shadow → 10 % → 50 % → 100 %, each stage ≥ 10 s and enough samples, gates on every window\n`);
    await startRollout(endpoints, { candidateVersionId: ids['1.1.0'], stages: [{ ...stage('shadow', 0, 60), shadowSampleRate: 0.5 }, stage('canary-10', 10, 20), stage('canary-50', 50, 60), stage('full', 100, 60)], gates: { statistics: { minSamplesPerVersion: 20 } } }, abort.signal);
    await Promise.race([firstCompleted, new Promise((r) => abort.signal.addEventListener('abort', r))]);
    if (abort.signal.aborted) return;
    write(`  [${now()}] starting the rollout of 2.0.0 (a candidate with 30 % errors): it should be rolled back on its own\n`);
    await startRollout(endpoints, { candidateVersionId: ids['2.0.0'], stages: [stage('canary-10', 10, 1_000), stage('full', 100, 1_000)], gates: { statistics: { minSamplesPerVersion: 20 } } }, abort.signal);
  })().catch((error: unknown) => write(`  demo script stopped: ${(error as Error).message}\n`));

  return async () => {
    abort.abort();
    await script;
    await simulation;
    await client.close({ timeoutMs: 1_000 });
    for (const subscription of subscriptions) await subscription.stop();
  };
}
