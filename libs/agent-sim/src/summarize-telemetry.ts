import type { EventOf, IrisEvent } from '@iris/contracts';

/** Exact aggregates of a telemetry stream for one version (for asserting what an aggregator must compute). */
export interface VersionTotals {
  sessionsStarted: number;
  sessionsEnded: number;
  requests: number;
  errors: number;
  toolCalls: number;
  toolFailures: number;
  requestsWithPolicyViolation: number;
  feedback: number;
  feedbackScoreSum: number;
  costUsd: number;
  tokensIn: number;
  tokensOut: number;
  /** Every request latency, ascending. */
  latenciesMs: number[];
  /** Sum of each evaluator score. */
  scoreSums: Record<string, number>;
}

export function emptyTotals(): VersionTotals {
  return {
    sessionsStarted: 0,
    sessionsEnded: 0,
    requests: 0,
    errors: 0,
    toolCalls: 0,
    toolFailures: 0,
    requestsWithPolicyViolation: 0,
    feedback: 0,
    feedbackScoreSum: 0,
    costUsd: 0,
    tokensIn: 0,
    tokensOut: 0,
    latenciesMs: [],
    scoreSums: {},
  };
}

/** Per-versionId totals of agent telemetry events (other event types are ignored). */
export function summarizeTelemetry(events: readonly IrisEvent[]): Record<string, VersionTotals> {
  const byVersion: Record<string, VersionTotals> = {};
  const totalsOf = (versionId: string) => (byVersion[versionId] ??= emptyTotals());
  for (const event of events) {
    switch (event.type) {
      case 'agent.session.started':
        totalsOf(event.data.versionId).sessionsStarted++;
        break;
      case 'agent.session.ended':
        totalsOf(event.data.versionId).sessionsEnded++;
        break;
      case 'agent.feedback.recorded': {
        const totals = totalsOf(event.data.versionId);
        totals.feedback++;
        totals.feedbackScoreSum += event.data.feedback.score ?? 0;
        break;
      }
      case 'agent.request.completed':
        addRequest(totalsOf(event.data.versionId), event);
        break;
    }
  }
  for (const totals of Object.values(byVersion)) totals.latenciesMs.sort((a, b) => a - b);
  return byVersion;
}

function addRequest(totals: VersionTotals, event: EventOf<'agent.request.completed'>): void {
  const data = event.data;
  totals.requests++;
  if (data.error) totals.errors++;
  totals.toolCalls += data.toolCalls.length;
  totals.toolFailures += data.toolCalls.filter((call) => !call.ok).length;
  if (data.policyViolations.length > 0) totals.requestsWithPolicyViolation++;
  totals.costUsd += data.costUsd;
  totals.tokensIn += data.tokensIn;
  totals.tokensOut += data.tokensOut;
  totals.latenciesMs.push(data.latencyMs);
  for (const [name, value] of Object.entries(data.scores ?? {})) totals.scoreSums[name] = (totals.scoreSums[name] ?? 0) + value;
}
