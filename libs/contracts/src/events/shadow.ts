import { z } from 'zod';
import { count, fraction, identifier, nonNegative, text, timestamp } from '../primitives';
import { eventSchema } from '../envelope';

/**
 * Kinds of difference between a shadow run and the primary it mirrors, each measured on candidate pairs
 * and, as its noise floor, on baseline-vs-baseline pairs (noise sampling).
 * - decision: the tool-call sequence or the output differs (the headline rate);
 * - tool-sequence: tool names or argument hashes differ (reordered, added, removed or changed calls);
 * - output: the output digests differ;
 * - new-violation: the shadow run has a policy violation the primary has not;
 * - error-mismatch: one side errored and the other did not.
 */
export const SHADOW_DIFFERENCE_KINDS = ['decision', 'tool-sequence', 'output', 'new-violation', 'error-mismatch'] as const;
export type ShadowDifferenceKind = (typeof SHADOW_DIFFERENCE_KINDS)[number];

export const SHADOW_VERDICTS = ['pass', 'fail', 'insufficient'] as const;
export type ShadowVerdict = (typeof SHADOW_VERDICTS)[number];

const rate = z.strictObject({ count: count(), of: count(), rate: fraction() });

export const ShadowDifference = z.strictObject({
  kind: z.enum(SHADOW_DIFFERENCE_KINDS),
  candidate: rate.describe('Candidate-vs-baseline pairs showing this difference.'),
  noiseFloor: rate.describe('Baseline-vs-baseline pairs showing it: how often the baseline differs from itself.'),
  excess: z.number().min(-1).max(1).describe('candidate.rate − noiseFloor.rate.'),
  pValue: fraction().describe('One-sided two-proportion test of candidate.rate > noiseFloor.rate (1 when undefined).'),
  flagged: z.boolean().describe('The excess is significant (pValue < alpha) and larger than the tolerated margin.'),
});

export const ToolUsageChange = z.strictObject({
  tool: identifier(),
  baselineCalls: count(),
  candidateCalls: count(),
});

export const ShadowReportReason = z.strictObject({
  check: identifier().describe('e.g. decision, tool-sequence, new-tools, removed-tools, cost, latency, new-violation, shadow-failures, samples'),
  detail: text(),
});

/** Per candidate and window: how the candidate's shadow runs differed from the baseline, beside the noise floor. */
export const ShadowReportV1 = eventSchema(
  'shadow.report',
  1,
  z
    .strictObject({
    agent: identifier(),
    baselineVersionId: identifier(),
    candidateVersionId: identifier(),
    windowStart: timestamp(),
    windowEnd: timestamp(),
    samples: z.strictObject({
      pairs: count().describe('Candidate-vs-baseline pairs compared.'),
      noisePairs: count().describe('Baseline-vs-baseline pairs compared (the noise floor).'),
      shadowFailures: count().describe('Candidate shadow runs that failed to pair in time, timed out or crashed.'),
    }),
    decisionDifferenceRate: fraction(),
    noiseFloorRate: fraction().describe('The decision-difference rate of baseline-vs-baseline pairs.'),
    differences: z.array(ShadowDifference),
    toolUsage: z.strictObject({
      newTools: z.array(identifier()).describe('Called by the candidate, never by the baseline in these pairs.'),
      removedTools: z.array(identifier()).describe('Called by the baseline, never by the candidate.'),
      calledMoreOften: z.array(ToolUsageChange).describe('Called by both, by the candidate more often than the tolerance.'),
    }),
    cost: z.strictObject({
      baselineUsd: nonNegative(),
      candidateUsd: nonNegative(),
      deltaPct: z.number().nullable().describe('(candidate − baseline) / baseline × 100 over the pairs; null when the baseline cost 0.'),
    }),
    latency: z.strictObject({
      baselineMeanMs: nonNegative(),
      candidateMeanMs: nonNegative(),
      deltaMs: z.number(),
    }),
    newViolations: z.strictObject({ pairs: count(), policies: z.array(identifier()) }),
    errorMismatches: z.strictObject({ candidateOnly: count(), baselineOnly: count() }),
    shadowFailureRate: fraction(),
    verdict: z.enum(SHADOW_VERDICTS),
    reasons: z.array(ShadowReportReason).describe('Why the verdict is not pass (empty on pass).'),
  })
    .refine((r) => Date.parse(r.windowEnd) >= Date.parse(r.windowStart), { error: 'must not be before windowStart', path: ['windowEnd'] }),
);
