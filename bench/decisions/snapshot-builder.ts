/**
 * Turns window summaries into metrics.snapshot payloads with the metrics-aggregator's own code: a summary becomes
 * the aggregator's accumulator state (MetricsAccumulator.fromJSON), and figuresOf / metricsSnapshotPayloads make
 * the payload exactly as the service does when a window closes.
 */
import {
  ExactSum,
  LatencyHistogram,
  MetricsAccumulator,
  figuresOf,
  metricsSnapshotPayloads,
  type KeyedFigures,
  type MetricsAccumulatorJSON,
  type MetricsSnapshotPayload,
  type Role,
  type VersionFigures,
  type VersionKey,
} from '../../apps/metrics-aggregator/src/aggregation';
import type { WindowSummary } from './window-sampler';

/** Bucket index (relative to the underflow bucket) of each support value, as the aggregator's histogram files it. */
export function bucketIndexes(valuesMs: Float64Array): Int32Array {
  const out = new Int32Array(valuesMs.length);
  for (let i = 0; i < valuesMs.length; i++) {
    const h = new LatencyHistogram();
    h.record(valuesMs[i]!);
    out[i] = h.toJSON().buckets[0]!;
  }
  return out;
}

export interface SummaryOfVersion {
  versionId: string;
  role: Role;
  summary: WindowSummary;
  latencyValuesMs: Float64Array;
  bucketIndexes: Int32Array;
}

export function accumulatorOf(s: SummaryOfVersion): MetricsAccumulator {
  const { summary } = s;
  const buckets: number[] = [];
  let previous = 0;
  let lastIndex = -1;
  let min: number | null = null;
  let max: number | null = null;
  const latencySum = new ExactSum();
  for (let i = 0; i < summary.latencyCounts.length; i++) {
    const count = summary.latencyCounts[i]!;
    if (count === 0) continue;
    const value = s.latencyValuesMs[i]!;
    latencySum.add(value * count);
    min ??= value;
    max = value;
    const index = s.bucketIndexes[i]!;
    if (index === lastIndex) buckets[buckets.length - 1]! += count;
    else {
      buckets.push(index - previous, count);
      previous = index;
      lastIndex = index;
    }
  }
  let violations = 0;
  for (const n of Object.values(summary.violations)) violations += n;
  const json: MetricsAccumulatorJSON = {
    requests: summary.requests,
    errors: summary.errors,
    errorsByKind: summary.errors > 0 ? { model: summary.errors } : {},
    toolCalls: 0,
    toolFailures: 0,
    latencyMs: { scheme: 'log2-7', count: summary.requests, sum: latencySum.toJSON(), min, max, buckets },
    tokensIn: 0,
    tokensOut: 0,
    costUsd: [summary.costSum],
    costUsdSquares: [summary.costSquares],
    sessionsWithRequests: [],
    policyViolations: violations,
    policyViolationsByPolicy: Object.fromEntries(Object.entries(summary.violations).filter(([, n]) => n > 0).sort(([a], [b]) => (a < b ? -1 : 1))),
    feedbackCount: 0,
    feedbackScoreSum: [],
    scores: {},
    sessionsStarted: 0,
    sessionsEnded: 0,
    liveSessions: 0,
    late: 0,
  };
  return MetricsAccumulator.fromJSON(json);
}

/** Ablation (DECISIONS_WITHOUT_SESSION_SUMS=1): snapshots as an aggregator without session tallies sends them, so the gates see no clustering. */
const WITHOUT_SESSION_SUMS = process.env.DECISIONS_WITHOUT_SESSION_SUMS === '1';

/**
 * The session figures from the summary's sums (the accumulator state built from a summary holds no session ids:
 * thousands of them a window would dominate the simulation); the self-test checks them against the aggregator's.
 */
export function figuresWithSessions(figures: VersionFigures, summary: WindowSummary): VersionFigures {
  if (WITHOUT_SESSION_SUMS) return { ...figures, sessionsWithRequests: summary.sessions, sessionSums: null };
  return {
    ...figures,
    sessionsWithRequests: summary.sessions,
    costPerSession: summary.sessions === 0 ? null : figures.costUsd / summary.sessions,
    sessionSums: { errorsSquared: summary.sessionErrorsSquared, errorsTimesRequests: summary.sessionErrorsTimesRequests, requestsSquared: summary.sessionRequestsSquared },
  };
}

/** The window's metrics.snapshot payloads (one per role), as the aggregator emits them. */
export function snapshotPayloads(environment: string, agent: string, startMs: number, endMs: number, versions: readonly SummaryOfVersion[]): MetricsSnapshotPayload[] {
  const keyed: KeyedFigures<VersionKey>[] = versions
    .filter((v) => v.summary.requests > 0)
    .map((v) => {
      const acc = accumulatorOf(v);
      return { key: { environment, agent, versionId: v.versionId, role: v.role }, figures: figuresWithSessions(figuresOf(acc), v.summary), latency: acc.latencyMs.toJSON() };
    });
  return metricsSnapshotPayloads({ startMs, endMs, versions: keyed });
}
