import type { MetricsAccumulator } from './metrics-accumulator';
import { sessionTally, sortedRecord } from './metrics-accumulator';

/** Latency quantiles in milliseconds, within LATENCY_RELATIVE_ERROR (≤ 0.39 %); mean and max are exact. */
export interface LatencyFigures {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

export interface ScoreFigures {
  count: number;
  sum: number;
  mean: number;
  min: number;
  max: number;
}

/**
 * The gateable figures of one key over one span, as plain JSON. Ratios are
 * null when their denominator is 0 (no data ≠ 0 %), latency is null without requests.
 */
export interface VersionFigures {
  requests: number;
  /** Requests whose `error` is not null. */
  errors: number;
  errorRate: number | null;
  errorsByKind: Record<string, number>;
  toolCalls: number;
  toolFailures: number;
  /** toolFailures / toolCalls. */
  toolFailureRate: number | null;
  latency: LatencyFigures | null;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  costPerRequest: number | null;
  /** Sample standard deviation of the cost per request (null below 2 requests). */
  costPerRequestStdDev: number | null;
  /** Distinct sessionIds with ≥ 1 request in the span. */
  sessionsWithRequests: number;
  /**
   * Sums over those sessions of errors², errors × requests and requests² (within the span): with them a gate computes
   * the error rate's cluster-robust variance, since requests of one session are correlated. Null when unknown.
   */
  sessionSums: { errorsSquared: number; errorsTimesRequests: number; requestsSquared: number } | null;
  /** costUsd / sessionsWithRequests: spend per session active in the span (a long session is split across spans). */
  costPerSession: number | null;
  policyViolations: { total: number; byPolicy: Record<string, number> };
  /** userFeedback of requests + agent.feedback.recorded, each as a score in [-1, 1] (see feedbackScore). */
  feedback: { count: number; mean: number | null };
  /** Online evaluator scores by name. */
  scores: Record<string, ScoreFigures>;
  /** First agent.session.started / .ended per session id whose occurredAt is in the span. */
  sessionsStarted: number;
  sessionsEnded: number;
  /** Gauge: sessions started and not ended at the end of the span (a version has drained when 0). */
  liveSessions: number;
  /** Events of this key that arrived after their window had closed (reported in the window open at arrival). */
  late: number;
}

export function figuresOf(acc: MetricsAccumulator): VersionFigures {
  const [p50, p95, p99] = acc.latencyMs.quantiles([0.5, 0.95, 0.99]);
  const cost = acc.costUsd.value();
  const scores: Record<string, ScoreFigures> = {};
  for (const name of [...acc.scores.keys()].sort()) {
    const s = acc.scores.get(name)!;
    const sum = s.sum.value();
    Object.defineProperty(scores, name, {
      value: { count: s.count, sum, mean: sum / s.count, min: s.min, max: s.max },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return {
    requests: acc.requests,
    errors: acc.errors,
    errorRate: ratio(acc.errors, acc.requests),
    errorsByKind: sortedRecord(acc.errorsByKind),
    toolCalls: acc.toolCalls,
    toolFailures: acc.toolFailures,
    toolFailureRate: ratio(acc.toolFailures, acc.toolCalls),
    latency: acc.requests === 0 ? null : { p50: p50!, p95: p95!, p99: p99!, mean: acc.latencyMs.mean!, max: acc.latencyMs.max! },
    tokensIn: acc.tokensIn,
    tokensOut: acc.tokensOut,
    costUsd: cost,
    costPerRequest: ratio(cost, acc.requests),
    costPerRequestStdDev: sampleStdDev(acc.requests, cost, acc.costUsdSquares.value()),
    sessionsWithRequests: acc.sessionsWithRequests.size,
    sessionSums: sessionSumsOf(acc),
    costPerSession: ratio(cost, acc.sessionsWithRequests.size),
    policyViolations: { total: acc.policyViolations, byPolicy: sortedRecord(acc.policyViolationsByPolicy) },
    feedback: { count: acc.feedbackCount, mean: ratio(acc.feedbackScoreSum.value(), acc.feedbackCount) },
    scores,
    sessionsStarted: acc.sessionsStarted,
    sessionsEnded: acc.sessionsEnded,
    liveSessions: acc.liveSessions,
    late: acc.late,
  };
}

function sessionSumsOf(acc: MetricsAccumulator): VersionFigures['sessionSums'] {
  if (!acc.sessionsTallied) return null;
  let errorsSquared = 0;
  let errorsTimesRequests = 0;
  let requestsSquared = 0;
  for (const packed of acc.sessionsWithRequests.values()) {
    const t = sessionTally(packed);
    errorsSquared += t.errors * t.errors;
    errorsTimesRequests += t.errors * t.requests;
    requestsSquared += t.requests * t.requests;
  }
  return { errorsSquared, errorsTimesRequests, requestsSquared };
}

function sampleStdDev(n: number, sum: number, sumOfSquares: number): number | null {
  if (n < 2) return null;
  return Math.sqrt(Math.max(0, (sumOfSquares - (sum * sum) / n) / (n - 1)));
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

/** Longest figure name metrics.snapshot accepts (numberRecord keys). */
export const MAX_FIGURE_NAME_LENGTH = 128;

/**
 * Flat `name → number` view for metrics.snapshot's numberRecord: null figures
 * are omitted; nested ones are dotted (`errors.timeout`, `policyViolations.pii.echo`,
 * `scores.accuracy.mean`); names longer than MAX_FIGURE_NAME_LENGTH are skipped.
 */
export function flattenFigures(f: VersionFigures): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (name: string, value: number | null) => {
    if (value === null || name.length > MAX_FIGURE_NAME_LENGTH) return;
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  };
  put('requests', f.requests);
  put('errors', f.errors);
  put('errorRate', f.errorRate);
  for (const [kind, n] of Object.entries(f.errorsByKind)) put(`errors.${kind}`, n);
  put('toolCalls', f.toolCalls);
  put('toolFailures', f.toolFailures);
  put('toolFailureRate', f.toolFailureRate);
  if (f.latency !== null) {
    put('p50LatencyMs', f.latency.p50);
    put('p95LatencyMs', f.latency.p95);
    put('p99LatencyMs', f.latency.p99);
    put('meanLatencyMs', f.latency.mean);
    put('maxLatencyMs', f.latency.max);
  }
  put('tokensIn', f.tokensIn);
  put('tokensOut', f.tokensOut);
  put('costUsd', f.costUsd);
  put('costPerRequest', f.costPerRequest);
  put('costPerRequestStdDev', f.costPerRequestStdDev);
  put('sessionsWithRequests', f.sessionsWithRequests);
  if (f.sessionSums !== null) {
    put('sessionErrorsSquared', f.sessionSums.errorsSquared);
    put('sessionErrorsTimesRequests', f.sessionSums.errorsTimesRequests);
    put('sessionRequestsSquared', f.sessionSums.requestsSquared);
  }
  put('costPerSession', f.costPerSession);
  put('policyViolations', f.policyViolations.total);
  for (const [policy, n] of Object.entries(f.policyViolations.byPolicy)) put(`policyViolations.${policy}`, n);
  put('feedbackCount', f.feedback.count);
  put('feedbackMean', f.feedback.mean);
  for (const [name, s] of Object.entries(f.scores)) {
    put(`scores.${name}.count`, s.count);
    put(`scores.${name}.mean`, s.mean);
    put(`scores.${name}.min`, s.min);
    put(`scores.${name}.max`, s.max);
  }
  put('sessionsStarted', f.sessionsStarted);
  put('sessionsEnded', f.sessionsEnded);
  put('liveSessions', f.liveSessions);
  put('late', f.late);
  return out;
}
