import { SHADOW_DIFFERENCE_KINDS, type ShadowDifferenceKind } from '@iris/contracts';
import type { PairingEvent } from './pairing';

/**
 * What a window of pairs adds up to, for one (agent, baseline, candidate, noise) — one partition's share, or
 * several merged. Plain JSON, so it is stored as is; merging is addition.
 */
export interface ShadowTally {
  pairs: number;
  /** Shadow failures: runs that never paired in time (either side missing). */
  failures: number;
  differences: Record<ShadowDifferenceKind, number>;
  /** Calls per tool name, on each side of the pairs. */
  baselineToolCalls: Record<string, number>;
  candidateToolCalls: Record<string, number>;
  baselineCostUsd: number;
  candidateCostUsd: number;
  baselineLatencyMs: number;
  candidateLatencyMs: number;
  /** Policies the candidate violated and its baseline did not, with how many pairs. */
  newViolations: Record<string, number>;
  errorCandidateOnly: number;
  errorBaselineOnly: number;
}

/** Which tally a pairing outcome belongs to: the primary's window. */
export interface TallyKey {
  environment: string;
  agent: string;
  baselineVersionId: string;
  candidateVersionId: string;
  noise: boolean;
  windowStartMs: number;
}

export function emptyTally(): ShadowTally {
  return {
    pairs: 0,
    failures: 0,
    differences: Object.fromEntries(SHADOW_DIFFERENCE_KINDS.map((k) => [k, 0])) as Record<ShadowDifferenceKind, number>,
    baselineToolCalls: {},
    candidateToolCalls: {},
    baselineCostUsd: 0,
    candidateCostUsd: 0,
    baselineLatencyMs: 0,
    candidateLatencyMs: 0,
    newViolations: {},
    errorCandidateOnly: 0,
    errorBaselineOnly: 0,
  };
}

const windowStart = (atMs: number, windowMs: number) => Math.floor(atMs / windowMs) * windowMs;

/** The tally a pairing event counts in, or undefined (held runs and clock moves count nowhere). */
export function tallyKeyOf(event: PairingEvent, windowMs: number): TallyKey | undefined {
  switch (event.type) {
    case 'PairCompared':
      return {
        environment: event.primary.environment,
        agent: event.primary.agent,
        baselineVersionId: event.primary.versionId,
        candidateVersionId: event.slot.versionId,
        noise: event.slot.noise,
        windowStartMs: windowStart(event.primary.atMs, windowMs),
      };
    case 'ShadowUnpaired':
      return { environment: event.environment, agent: event.agent, baselineVersionId: event.baselineVersionId, candidateVersionId: event.slot.versionId, noise: event.slot.noise, windowStartMs: windowStart(event.atMs, windowMs) };
    case 'RunHeld':
    case 'ClockAdvanced':
      return undefined;
  }
}

const bump = (counts: Record<string, number>, key: string, by = 1) => void (counts[key] = (counts[key] ?? 0) + by);

/** Counts one pairing outcome into `tally` (in place). */
export function countInto(tally: ShadowTally, event: PairingEvent): void {
  if (event.type === 'ShadowUnpaired') {
    tally.failures++;
    return;
  }
  if (event.type !== 'PairCompared') return;
  const { primary, shadow, comparison } = event;
  tally.pairs++;
  for (const kind of comparison.differences) tally.differences[kind]++;
  for (const call of primary.tools) bump(tally.baselineToolCalls, call.name);
  for (const call of shadow.tools) bump(tally.candidateToolCalls, call.name);
  tally.baselineCostUsd += primary.costUsd;
  tally.candidateCostUsd += shadow.costUsd;
  tally.baselineLatencyMs += primary.latencyMs;
  tally.candidateLatencyMs += shadow.latencyMs;
  for (const policy of comparison.newViolations) bump(tally.newViolations, policy);
  if (comparison.errorMismatch === 'candidate-only') tally.errorCandidateOnly++;
  if (comparison.errorMismatch === 'baseline-only') tally.errorBaselineOnly++;
}

/** a + b, as a new tally. */
export function mergeTallies(a: ShadowTally, b: ShadowTally): ShadowTally {
  const merged = emptyTally();
  for (const t of [a, b]) {
    merged.pairs += t.pairs;
    merged.failures += t.failures;
    for (const kind of SHADOW_DIFFERENCE_KINDS) merged.differences[kind] += t.differences[kind] ?? 0;
    for (const [tool, n] of Object.entries(t.baselineToolCalls)) bump(merged.baselineToolCalls, tool, n);
    for (const [tool, n] of Object.entries(t.candidateToolCalls)) bump(merged.candidateToolCalls, tool, n);
    merged.baselineCostUsd += t.baselineCostUsd;
    merged.candidateCostUsd += t.candidateCostUsd;
    merged.baselineLatencyMs += t.baselineLatencyMs;
    merged.candidateLatencyMs += t.candidateLatencyMs;
    for (const [policy, n] of Object.entries(t.newViolations)) bump(merged.newViolations, policy, n);
    merged.errorCandidateOnly += t.errorCandidateOnly;
    merged.errorBaselineOnly += t.errorBaselineOnly;
  }
  return merged;
}
