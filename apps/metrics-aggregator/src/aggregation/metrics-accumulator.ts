import type { EventData } from '@iris/contracts';
import { ExactSum, type ExactSumJSON } from './exact-sum';
import { LatencyHistogram, type LatencyHistogramJSON } from './latency-histogram';

export type RequestCompletedData = EventData<'agent.request.completed'>;
export type UserFeedbackData = NonNullable<RequestCompletedData['userFeedback']>;

/**
 * A user's feedback as one score in [-1, 1]: `score` when given, otherwise the
 * star rating mapped linearly (1★ → -1, 3★ → 0, 5★ → 1).
 */
export function feedbackScore(feedback: UserFeedbackData): number {
  if (feedback.score !== undefined) return feedback.score;
  return ((feedback.rating ?? 3) - 3) / 2;
}

interface ScoreStats {
  count: number;
  sum: ExactSum;
  min: number;
  max: number;
}

export interface ScoreStatsJSON {
  count: number;
  sum: ExactSumJSON;
  min: number;
  max: number;
}

export interface MetricsAccumulatorJSON {
  requests: number;
  errors: number;
  errorsByKind: Record<string, number>;
  toolCalls: number;
  toolFailures: number;
  latencyMs: LatencyHistogramJSON;
  tokensIn: number;
  tokensOut: number;
  costUsd: ExactSumJSON;
  /** Σ cost², for the spread of the cost per request (statistical cost gates). */
  costUsdSquares?: ExactSumJSON;
  /** Distinct sessionIds with ≥ 1 request, sorted. */
  sessionsWithRequests: string[];
  /** [requests, errors] of each session in sessionsWithRequests, in the same order; absent in state written before it existed. */
  sessionTallies?: number[];
  policyViolations: number;
  policyViolationsByPolicy: Record<string, number>;
  feedbackCount: number;
  feedbackScoreSum: ExactSumJSON;
  scores: Record<string, ScoreStatsJSON>;
  sessionsStarted: number;
  sessionsEnded: number;
  liveSessions: number;
  late: number;
}

/**
 * Every figure of one key over one time span. merge(a, b) equals recording
 * a's and b's events into one accumulator, exactly (counts, histogram buckets,
 * ExactSum sums, session-id sets), so shards (consumers) and windows combine freely.
 *
 * liveSessions is a gauge (sessions live at the end of the window) set by the
 * windowed aggregator; merge() sums it, which is right for shards of the same
 * window (their sessions are disjoint) — rolling views overwrite it.
 */
export class MetricsAccumulator {
  requests = 0;
  errors = 0;
  readonly errorsByKind = new Map<string, number>();
  toolCalls = 0;
  toolFailures = 0;
  readonly latencyMs = new LatencyHistogram();
  tokensIn = 0;
  tokensOut = 0;
  readonly costUsd = new ExactSum();
  readonly costUsdSquares = new ExactSum();
  /**
   * Sessions with ≥ 1 request → their requests and errors, packed in one number (requests · 2^26 + errors: no
   * allocation on the hot path); the error rate's cluster-robust variance needs them. See sessionTally().
   */
  readonly sessionsWithRequests = new Map<string, number>();
  /** False once state without tallies (written by an older version) was merged in: the session sums are then unknown. */
  sessionsTallied = true;
  policyViolations = 0;
  readonly policyViolationsByPolicy = new Map<string, number>();
  feedbackCount = 0;
  readonly feedbackScoreSum = new ExactSum();
  readonly scores = new Map<string, ScoreStats>();
  sessionsStarted = 0;
  sessionsEnded = 0;
  liveSessions = 0;
  late = 0;

  static fromJSON(json: MetricsAccumulatorJSON): MetricsAccumulator {
    const acc = new MetricsAccumulator();
    acc.requests = json.requests;
    acc.errors = json.errors;
    addCounts(acc.errorsByKind, Object.entries(json.errorsByKind));
    acc.toolCalls = json.toolCalls;
    acc.toolFailures = json.toolFailures;
    acc.latencyMs.merge(LatencyHistogram.fromJSON(json.latencyMs));
    acc.tokensIn = json.tokensIn;
    acc.tokensOut = json.tokensOut;
    acc.costUsd.merge(ExactSum.fromJSON(json.costUsd));
    if (json.costUsdSquares) acc.costUsdSquares.merge(ExactSum.fromJSON(json.costUsdSquares));
    const tallies = json.sessionTallies;
    if (tallies === undefined) acc.sessionsTallied = json.sessionsWithRequests.length === 0;
    json.sessionsWithRequests.forEach((sessionId, i) =>
      acc.sessionsWithRequests.set(sessionId, (tallies?.[2 * i] ?? 0) * SESSION_REQUEST + (tallies?.[2 * i + 1] ?? 0)),
    );
    acc.policyViolations = json.policyViolations;
    addCounts(acc.policyViolationsByPolicy, Object.entries(json.policyViolationsByPolicy));
    acc.feedbackCount = json.feedbackCount;
    acc.feedbackScoreSum.merge(ExactSum.fromJSON(json.feedbackScoreSum));
    for (const [name, s] of Object.entries(json.scores)) {
      acc.scores.set(name, { count: s.count, sum: ExactSum.fromJSON(s.sum), min: s.min, max: s.max });
    }
    acc.sessionsStarted = json.sessionsStarted;
    acc.sessionsEnded = json.sessionsEnded;
    acc.liveSessions = json.liveSessions;
    acc.late = json.late;
    return acc;
  }

  recordRequest(data: RequestCompletedData): void {
    this.requests++;
    const failed = data.error !== null;
    if (failed) {
      this.errors++;
      increment(this.errorsByKind, data.error!.kind, 1);
    }
    const toolCalls = data.toolCalls;
    this.toolCalls += toolCalls.length;
    for (let i = 0; i < toolCalls.length; i++) if (!toolCalls[i].ok) this.toolFailures++;
    this.latencyMs.record(data.latencyMs);
    this.tokensIn += data.tokensIn;
    this.tokensOut += data.tokensOut;
    this.costUsd.add(data.costUsd);
    this.costUsdSquares.add(data.costUsd * data.costUsd);
    const sessions = this.sessionsWithRequests;
    sessions.set(data.sessionId, (sessions.get(data.sessionId) ?? 0) + (failed ? SESSION_REQUEST + 1 : SESSION_REQUEST));
    const violations = data.policyViolations;
    this.policyViolations += violations.length;
    for (let i = 0; i < violations.length; i++) increment(this.policyViolationsByPolicy, violations[i].policy, 1);
    if (data.userFeedback !== undefined) this.recordFeedback(data.userFeedback);
    if (data.scores !== undefined) for (const name in data.scores) this.recordScore(name, data.scores[name]);
  }

  recordFeedback(feedback: UserFeedbackData): void {
    this.feedbackCount++;
    this.feedbackScoreSum.add(feedbackScore(feedback));
  }

  recordScore(name: string, value: number): void {
    const stats = this.scores.get(name);
    if (stats === undefined) {
      const sum = new ExactSum();
      sum.add(value);
      this.scores.set(name, { count: 1, sum, min: value, max: value });
      return;
    }
    stats.count++;
    stats.sum.add(value);
    if (value < stats.min) stats.min = value;
    if (value > stats.max) stats.max = value;
  }

  merge(other: MetricsAccumulator): this {
    this.requests += other.requests;
    this.errors += other.errors;
    addCounts(this.errorsByKind, other.errorsByKind);
    this.toolCalls += other.toolCalls;
    this.toolFailures += other.toolFailures;
    this.latencyMs.merge(other.latencyMs);
    this.tokensIn += other.tokensIn;
    this.tokensOut += other.tokensOut;
    this.costUsd.merge(other.costUsd);
    this.costUsdSquares.merge(other.costUsdSquares);
    for (const [sessionId, theirs] of other.sessionsWithRequests) this.sessionsWithRequests.set(sessionId, (this.sessionsWithRequests.get(sessionId) ?? 0) + theirs);
    this.sessionsTallied &&= other.sessionsTallied;
    this.policyViolations += other.policyViolations;
    addCounts(this.policyViolationsByPolicy, other.policyViolationsByPolicy);
    this.feedbackCount += other.feedbackCount;
    this.feedbackScoreSum.merge(other.feedbackScoreSum);
    for (const [name, s] of other.scores) {
      const mine = this.scores.get(name);
      if (mine === undefined) {
        this.scores.set(name, { count: s.count, sum: s.sum.clone(), min: s.min, max: s.max });
      } else {
        mine.count += s.count;
        mine.sum.merge(s.sum);
        mine.min = Math.min(mine.min, s.min);
        mine.max = Math.max(mine.max, s.max);
      }
    }
    this.sessionsStarted += other.sessionsStarted;
    this.sessionsEnded += other.sessionsEnded;
    this.liveSessions += other.liveSessions;
    this.late += other.late;
    return this;
  }

  clone(): MetricsAccumulator {
    return new MetricsAccumulator().merge(this);
  }

  /** Canonical JSON: equal contents serialise to deep-equal objects (sorted keys and ids). */
  toJSON(): MetricsAccumulatorJSON {
    const scores: Record<string, ScoreStatsJSON> = {};
    for (const name of [...this.scores.keys()].sort()) {
      const s = this.scores.get(name)!;
      Object.defineProperty(scores, name, { value: { count: s.count, sum: s.sum.toJSON(), min: s.min, max: s.max }, enumerable: true, writable: true, configurable: true });
    }
    return {
      requests: this.requests,
      errors: this.errors,
      errorsByKind: sortedRecord(this.errorsByKind),
      toolCalls: this.toolCalls,
      toolFailures: this.toolFailures,
      latencyMs: this.latencyMs.toJSON(),
      tokensIn: this.tokensIn,
      tokensOut: this.tokensOut,
      costUsd: this.costUsd.toJSON(),
      costUsdSquares: this.costUsdSquares.toJSON(),
      ...sessionsJSON(this.sessionsWithRequests, this.sessionsTallied),
      policyViolations: this.policyViolations,
      policyViolationsByPolicy: sortedRecord(this.policyViolationsByPolicy),
      feedbackCount: this.feedbackCount,
      feedbackScoreSum: this.feedbackScoreSum.toJSON(),
      scores,
      sessionsStarted: this.sessionsStarted,
      sessionsEnded: this.sessionsEnded,
      liveSessions: this.liveSessions,
      late: this.late,
    };
  }
}

/** One request in a packed session tally (errors take the low 26 bits: fewer than 67 million requests a session and span). */
const SESSION_REQUEST = 2 ** 26;

export interface SessionTally {
  requests: number;
  errors: number;
}

export function sessionTally(packed: number): SessionTally {
  const requests = Math.floor(packed / SESSION_REQUEST);
  return { requests, errors: packed - requests * SESSION_REQUEST };
}

function sessionsJSON(sessions: ReadonlyMap<string, number>, tallied: boolean): Pick<MetricsAccumulatorJSON, 'sessionsWithRequests' | 'sessionTallies'> {
  const ids = [...sessions.keys()].sort();
  if (!tallied) return { sessionsWithRequests: ids };
  const tallies: number[] = [];
  for (const id of ids) {
    const t = sessionTally(sessions.get(id)!);
    tallies.push(t.requests, t.errors);
  }
  return { sessionsWithRequests: ids, sessionTallies: tallies };
}

function increment(counts: Map<string, number>, name: string, by: number): void {
  counts.set(name, (counts.get(name) ?? 0) + by);
}

function addCounts(into: Map<string, number>, from: Iterable<[string, number]>): void {
  for (const [name, n] of from) increment(into, name, n);
}

/** A record built with defineProperty, so names such as "__proto__" stay plain keys. */
export function sortedRecord(counts: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of [...counts.keys()].sort()) {
    Object.defineProperty(out, name, { value: counts.get(name)!, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
