/**
 * Simulated agent publishing telemetry to Kafka through the SDK.
 *   npx ts-node --transpile-only libs/agent-sim/src/cli.ts --brokers 127.0.0.1:19092 --rate 200 --duration 10s \
 *     --versions v1:0.9,v2:0.1 --error-rate v2=0.2 [--agent support-bot] [--seed 1] [--requests N] [--p50 v2=1500]
 */
import './source-aliases';
import { parseArgs } from 'node:util';
import { IrisAgentClient } from '@iris/agent-sdk';
import { simulateAgent, SimulatedVersion } from './index';

const DEFAULT_VERSION: Omit<SimulatedVersion, 'versionId' | 'weight'> = {
  errorRate: 0.02,
  latencyMs: { distribution: 'lognormal', p50: 800, p99: 4000 },
  costUsd: { mean: 0.01, sd: 0.003 },
  tokens: { inMean: 500, outMean: 200 },
  toolFailureRate: 0.03,
  policyViolationRate: 0.005,
  scores: { accuracy: { mean: 0.9, sd: 0.05 } },
  feedbackRate: 0.05,
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:19092' },
      agent: { type: 'string', default: 'support-bot' },
      rate: { type: 'string', default: '100' },
      duration: { type: 'string', default: '10s' },
      requests: { type: 'string' },
      versions: { type: 'string', default: 'v1:1' },
      'error-rate': { type: 'string', default: '' },
      p50: { type: 'string', default: '' },
      seed: { type: 'string', default: '1' },
    },
  });
  const errorRates = perVersion(values['error-rate']!);
  const p50s = perVersion(values.p50!);
  const versions = values.versions!.split(',').map((spec): SimulatedVersion => {
    const [versionId, weight = '1'] = spec.split(':');
    const p50 = p50s[versionId] ?? DEFAULT_VERSION.latencyMs.p50;
    return {
      ...DEFAULT_VERSION,
      versionId,
      weight: Number(weight),
      errorRate: errorRates[versionId] ?? DEFAULT_VERSION.errorRate,
      latencyMs: { ...DEFAULT_VERSION.latencyMs, p50, p99: p50 * 5 },
    };
  });
  const client = IrisAgentClient.forKafka({ brokers: values.brokers!, agent: values.agent!, versionId: versions[0].versionId });
  const report = await simulateAgent({
    client,
    versions,
    tenants: ['acme', 'globex', 'initech'],
    features: ['chat', 'search', 'summarize'],
    requestRatePerSec: Number(values.rate),
    sessionLength: { min: 2, max: 10 },
    ...(values.requests ? { totalRequests: Number(values.requests) } : { durationMs: parseDuration(values.duration!) }),
    seed: Number(values.seed),
  });
  const closed = await client.close({ timeoutMs: 10_000 });
  console.log(JSON.stringify({ report, stats: client.stats(), closed }, null, 2));
}

/** "v2=0.2,v3=0.1" → { v2: 0.2, v3: 0.1 } */
function perVersion(spec: string): Record<string, number> {
  return Object.fromEntries(spec.split(',').filter(Boolean).map((pair) => pair.split('=')).map(([k, v]) => [k, Number(v)]));
}

/** "10s", "500ms", "2m" or plain milliseconds. */
function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new Error(`invalid duration ${text}`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : match[2] === 'm' ? 60_000 : 1);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
