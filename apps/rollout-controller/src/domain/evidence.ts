/**
 * What the gates accumulate over a stage: per version, the sufficient statistics of each test (counts, cost sums,
 * a coarse latency histogram). A window's contribution is recorded in SnapshotEvaluated and `evolve` adds it up,
 * so the sequential state is part of the aggregate and replays bit for bit.
 */
import { latencyBucketLowerBound } from '@iris/contracts';
import type { Figures, GateThresholds, LatencyDistribution, PolicySeverity } from './types';

export interface VersionEvidence {
  requests: number;
  errors: number;
  /** Requests behind the cost sums (those whose window had a cost figure). */
  costRequests: number;
  costSum: number;
  costSquares: number;
  /** Requests behind the latency histogram. */
  latencyRequests: number;
  /** Coarse latency histogram (4 log2-7 buckets merged: ≤ 3 % wide), sparse and sorted: [coarseIndex, count, …]. */
  latency: number[];
  /** Requests beyond the absolute p99 limit, and beyond the increase gate's threshold as it stood in each window (fine buckets, interpolated). */
  beyondAbsoluteP99: number;
  beyondIncreaseP99: number;
  /** Requests of the windows in which the increase threshold existed (the denominator of beyondIncreaseP99). */
  increaseP99Requests: number;
  /** Per-session sums (Σ errors², Σ errors·requests, Σ requests²) and the requests they cover: the error rate's design effect. */
  sessionErrorsSquared: number;
  sessionErrorsTimesRequests: number;
  sessionRequestsSquared: number;
  sessionTalliedRequests: number;
  sessionTalliedErrors: number;
  /** Violations of critical policies. */
  criticalViolations: number;
  /** Violations of compared policies. */
  comparedViolations: number;
}

export interface WindowEvidence {
  candidate: VersionEvidence;
  /** Absent when the stage does not compare with a baseline. */
  baseline?: VersionEvidence;
}

export interface StageEvidence {
  /** Windows judged in the stage. */
  looks: number;
  candidate: VersionEvidence;
  baseline: VersionEvidence;
  /** Largest ln e-value each gate reached in the stage (always-valid p-value = e^-max). */
  maxLogEValue: Record<string, number>;
}

/** Every count and sum of VersionEvidence: windows add up field by field (the latency histogram merges). */
const SUMMED = [
  'requests',
  'errors',
  'costRequests',
  'costSum',
  'costSquares',
  'latencyRequests',
  'beyondAbsoluteP99',
  'beyondIncreaseP99',
  'increaseP99Requests',
  'sessionErrorsSquared',
  'sessionErrorsTimesRequests',
  'sessionRequestsSquared',
  'sessionTalliedRequests',
  'sessionTalliedErrors',
  'criticalViolations',
  'comparedViolations',
] as const satisfies ReadonlyArray<Exclude<keyof VersionEvidence, 'latency'>>;

export function emptyVersionEvidence(): VersionEvidence {
  const evidence = { latency: [] } as unknown as Record<string, unknown>;
  for (const field of SUMMED) evidence[field] = 0;
  return evidence as unknown as VersionEvidence;
}

export const emptyStageEvidence = (): StageEvidence => ({ looks: 0, candidate: emptyVersionEvidence(), baseline: emptyVersionEvidence(), maxLogEValue: {} });

const COARSE = 4;

const finite = (figures: Figures | undefined, name: string): number | undefined => {
  const value = figures?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

export function severityOf(policy: string, gates: GateThresholds): PolicySeverity {
  return gates.policyViolations.severity?.[policy] ?? gates.policyViolations.defaultSeverity ?? 'critical';
}

/** One version's contribution of one window, read from metrics.snapshot figures and its latency histogram. */
export function versionEvidenceOf(figures: Figures | undefined, latency: LatencyDistribution | undefined, gates: GateThresholds): VersionEvidence {
  const evidence = emptyVersionEvidence();
  const requests = Math.max(0, Math.floor(finite(figures, 'requests') ?? 0));
  if (requests === 0) return evidence;
  evidence.requests = requests;
  const errors = finite(figures, 'errors') ?? Math.round((finite(figures, 'errorRate') ?? 0) * requests);
  evidence.errors = Math.min(requests, Math.max(0, Math.round(errors)));
  const mean = finite(figures, 'costPerRequest');
  if (mean !== undefined) {
    const sd = finite(figures, 'costPerRequestStdDev') ?? 0;
    evidence.costRequests = requests;
    evidence.costSum = mean * requests;
    evidence.costSquares = (requests - 1) * sd * sd + requests * mean * mean;
  }
  const errorsSquared = finite(figures, 'sessionErrorsSquared');
  const errorsTimesRequests = finite(figures, 'sessionErrorsTimesRequests');
  const requestsSquared = finite(figures, 'sessionRequestsSquared');
  if (errorsSquared !== undefined && errorsTimesRequests !== undefined && requestsSquared !== undefined) {
    evidence.sessionErrorsSquared = errorsSquared;
    evidence.sessionErrorsTimesRequests = errorsTimesRequests;
    evidence.sessionRequestsSquared = requestsSquared;
    evidence.sessionTalliedRequests = requests;
    evidence.sessionTalliedErrors = evidence.errors;
  }
  if (latency && latency.count > 0) {
    evidence.latencyRequests = latency.count;
    evidence.latency = coarsen(latency.buckets);
  }
  let named = 0;
  for (const name in figures) {
    if (!name.startsWith('policyViolations.')) continue;
    const count = finite(figures, name) ?? 0;
    named += count;
    if (severityOf(name.slice('policyViolations.'.length), gates) === 'critical') evidence.criticalViolations += count;
    else evidence.comparedViolations += count;
  }
  // Violations not broken down by policy take the default severity.
  const unnamed = Math.max(0, (finite(figures, 'policyViolations') ?? 0) - named);
  if ((gates.policyViolations.defaultSeverity ?? 'critical') === 'critical') evidence.criticalViolations += unnamed;
  else evidence.comparedViolations += unnamed;
  return evidence;
}

/** log2-7 sparse [indexDelta, count, …] → coarse sparse [coarseIndex, count, …] (4 adjacent buckets merged). */
function coarsen(sparse: readonly number[]): number[] {
  const out: number[] = [];
  let index = 0;
  for (let i = 0; i + 1 < sparse.length; i += 2) {
    index += sparse[i]!;
    const coarse = Math.floor(index / COARSE);
    const count = sparse[i + 1]!;
    if (out.length > 0 && out[out.length - 2] === coarse) out[out.length - 1]! += count;
    else out.push(coarse, count);
  }
  return out;
}

function mergeSparse(a: readonly number[], b: readonly number[]): number[] {
  if (a.length === 0) return [...b];
  if (b.length === 0) return [...a];
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) {
      out.push(a[i]!, a[i + 1]!);
      i += 2;
    } else if (i >= a.length || b[j]! < a[i]!) {
      out.push(b[j]!, b[j + 1]!);
      j += 2;
    } else {
      out.push(a[i]!, a[i + 1]! + b[j + 1]!);
      i += 2;
      j += 2;
    }
  }
  return out;
}

export function addVersionEvidence(a: VersionEvidence, b: VersionEvidence): VersionEvidence {
  const sum: VersionEvidence = { ...a, latency: mergeSparse(a.latency, b.latency) };
  for (const field of SUMMED) sum[field] = (a[field] ?? 0) + (b[field] ?? 0); // ?? 0: evidence recorded before a field existed
  return sum;
}

/** The stage's evidence once a window is added (the window's verdicts carry the e-values reached). */
export function addWindow(stage: StageEvidence, window: WindowEvidence, logEValues: Record<string, number>): StageEvidence {
  const maxLogEValue = { ...stage.maxLogEValue };
  for (const [gate, logE] of Object.entries(logEValues)) maxLogEValue[gate] = Math.max(maxLogEValue[gate] ?? 0, logE);
  return {
    looks: stage.looks + 1,
    candidate: addVersionEvidence(stage.candidate, window.candidate),
    baseline: window.baseline ? addVersionEvidence(stage.baseline, window.baseline) : stage.baseline,
    maxLogEValue,
  };
}

/**
 * The error rate's design effect over the stage: the cluster-robust variance Σ_s (e_s − p̂·n_s)² over sessions
 * (requests of one session are correlated: a broken tool fails every request of the session) divided by the
 * binomial n·p̂(1 − p̂), at least 1. The exact tests then run on the effective counts k/deff of n/deff (Kish).
 * Sessions are cut at window ends, so correlation across windows is not seen. 1 without per-session sums.
 */
export function errorDesignEffect(v: VersionEvidence): number {
  const n = v.sessionTalliedRequests;
  if (n <= 0) return 1;
  const p = v.sessionTalliedErrors / n;
  const binomial = n * p * (1 - p);
  if (!(binomial > 0)) return 1;
  const cluster = v.sessionErrorsSquared - 2 * p * v.sessionErrorsTimesRequests + p * p * v.sessionRequestsSquared;
  return Math.max(1, cluster / binomial);
}

/**
 * Requests of a window's (fine, log2-7) histogram beyond `limitMs`; the bucket holding the limit counts in
 * proportion to the part of it beyond (buckets are < 0.8 % wide, so the interpolation error is negligible).
 */
export function countBeyond(latency: LatencyDistribution | undefined, limitMs: number): number {
  if (!latency) return 0;
  let count = 0;
  let index = 0;
  for (let i = 0; i + 1 < latency.buckets.length; i += 2) {
    index += latency.buckets[i]!;
    const lo = latencyBucketLowerBound(index);
    const hi = latencyBucketLowerBound(index + 1);
    const n = latency.buckets[i + 1]!;
    if (lo >= limitMs) count += n;
    else if (hi > limitMs) count += (n * (hi - limitMs)) / (hi - lo);
  }
  return count;
}

/** The q-quantile of a coarse histogram, interpolated linearly within its bucket. Null when empty. */
export function coarseQuantile(latency: readonly number[], total: number, q: number): number | null {
  if (total <= 0 || latency.length === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i + 1 < latency.length; i += 2) {
    const n = latency[i + 1]!;
    if (seen + n >= rank) {
      const lo = latencyBucketLowerBound(latency[i]! * COARSE);
      const hi = latencyBucketLowerBound((latency[i]! + 1) * COARSE);
      return lo + ((hi - lo) * (rank - seen)) / n;
    }
    seen += n;
  }
  return latencyBucketLowerBound((latency[latency.length - 2]! + 1) * COARSE);
}
