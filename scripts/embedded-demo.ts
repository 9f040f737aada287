import { IrisAgentClient } from '@iris/agent-sdk';
import { simulateAgent } from '@iris/agent-sim';
import { decodeMessage, EventOf, TOPICS } from '@iris/contracts';
import type { MessageBus } from '@iris/messaging';

const AGENT = 'support-bot';

/** One line per closed window: the figures a rollout gate would judge, per version. */
export function formatSnapshot(snapshot: EventOf<'metrics.snapshot'>): string {
  const time = (iso: string) => iso.slice(11, 19);
  const versions = Object.entries(snapshot.data.versions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([versionId, f]) => {
      const errorRate = ((f.errorRate ?? 0) * 100).toFixed(1);
      const p99 = Math.round(f.p99LatencyMs ?? 0).toLocaleString('en-US');
      return `${versionId}: ${f.requests ?? 0} req, errors ${errorRate}%, p99 ${p99} ms, $${(f.costPerRequest ?? 0).toFixed(4)}/req, live sessions ${f.liveSessions ?? 0}`;
    });
  return `  [${time(snapshot.data.windowStart)}–${time(snapshot.data.windowEnd)}] ${snapshot.data.agent}  ${versions.join('  |  ')}\n`;
}

/**
 * The demo behind `npm start`: a simulated agent with a stable version and a worse candidate publishes
 * telemetry through the SDK; the metrics-aggregator's per-window snapshots are printed as they close.
 */
export async function startDemo(bus: MessageBus, write: (line: string) => void): Promise<() => Promise<void>> {
  const client = IrisAgentClient.forBus(bus, { agent: AGENT, versionId: 'v1' });
  const abort = new AbortController();
  const simulation = simulateAgent({
    client,
    seed: 42,
    clock: 'real',
    requestRatePerSec: 40,
    durationMs: 7 * 24 * 3_600_000,
    sessionLength: { min: 2, max: 8 },
    tenants: ['acme', 'globex'],
    features: ['chat', 'refunds'],
    signal: abort.signal,
    versions: [
      { versionId: 'v1', weight: 0.9, errorRate: 0.01, latencyMs: { distribution: 'lognormal', p50: 450, p99: 1_800 }, costUsd: { mean: 0.01, sd: 0.002 }, toolFailureRate: 0.01, policyViolationRate: 0, feedbackRate: 0.05 },
      { versionId: 'v2', weight: 0.1, errorRate: 0.08, latencyMs: { distribution: 'lognormal', p50: 600, p99: 2_600 }, costUsd: { mean: 0.014, sd: 0.003 }, toolFailureRate: 0.04, policyViolationRate: 0.01, feedbackRate: 0.05 },
    ],
  }).catch(() => undefined);
  const printer = await bus.subscribe({
    topic: TOPICS.metrics.name,
    groupId: 'iris-demo-printer',
    decode: (message) => decodeMessage(message.value),
    handleBatch: async (messages) => {
      for (const { value } of messages) {
        if (value.type === 'metrics.snapshot' && value.data.view === 'window' && value.data.role === 'primary') write(formatSnapshot(value));
      }
    },
  });
  return async () => {
    abort.abort();
    await simulation;
    await client.close({ timeoutMs: 1_000 });
    await printer.stop();
  };
}
