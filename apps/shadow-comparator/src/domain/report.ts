import { SHADOW_DIFFERENCE_KINDS, type EventData } from '@iris/contracts';
import type { ShadowGateLimits } from './gate-limits';
import { excessPValue } from './significance';
import type { ShadowTally } from './tally';

export type ShadowReport = EventData<'shadow.report'>;

export interface ReportInput {
  agent: string;
  baselineVersionId: string;
  candidateVersionId: string;
  windowStartMs: number;
  windowEndMs: number;
  /** Candidate-vs-baseline pairs. */
  candidate: ShadowTally;
  /** Baseline-vs-baseline pairs of the same baseline and window: the noise floor. */
  noise: ShadowTally;
  limits: ShadowGateLimits;
}

const ratio = (count: number, of: number) => (of === 0 ? 0 : count / of);
const round = (value: number, digits = 6) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The shadow report of one candidate and window, with its verdict. Pure. */
export function buildShadowReport(input: ReportInput): ShadowReport {
  const { candidate, noise, limits } = input;
  const reasons: ShadowReport['reasons'] = [];

  const differences = SHADOW_DIFFERENCE_KINDS.map((kind) => {
    const c = candidate.differences[kind] ?? 0;
    const n = noise.differences[kind] ?? 0;
    const candidateRate = ratio(c, candidate.pairs);
    const noiseRate = ratio(n, noise.pairs);
    const excess = candidateRate - noiseRate;
    const pValue = excessPValue(c, candidate.pairs, n, noise.pairs);
    const flagged = pValue < limits.alpha && excess > limits.toleratedExcess;
    if (flagged && limits.failOnKinds.includes(kind)) {
      reasons.push({
        check: kind,
        detail: `${kind} differences in ${c} of ${candidate.pairs} pairs (${pct(candidateRate)}) against a noise floor of ${n} of ${noise.pairs} (${pct(noiseRate)}), p = ${pValue.toPrecision(3)}`,
      });
    }
    return {
      kind,
      candidate: { count: c, of: candidate.pairs, rate: round(candidateRate) },
      noiseFloor: { count: n, of: noise.pairs, rate: round(noiseRate) },
      excess: round(excess),
      pValue: round(pValue),
      flagged,
    };
  });

  // Tools the baseline is known to call: either side of the noise pairs, the baseline side of the candidate's.
  const baselineKnown = new Set([...Object.keys(candidate.baselineToolCalls), ...Object.keys(noise.baselineToolCalls), ...Object.keys(noise.candidateToolCalls)]);
  const newTools = Object.keys(candidate.candidateToolCalls).filter((t) => !baselineKnown.has(t)).sort();
  const removedTools = Object.entries(candidate.baselineToolCalls)
    .filter(([tool, n]) => n >= limits.minRemovedToolCalls && (candidate.candidateToolCalls[tool] ?? 0) === 0)
    .map(([tool]) => tool)
    .sort();
  const calledMoreOften = Object.entries(candidate.candidateToolCalls)
    .filter(([tool, n]) => (candidate.baselineToolCalls[tool] ?? 0) > 0 && n > (1 + limits.toolCallIncrease) * candidate.baselineToolCalls[tool]!)
    .map(([tool, n]) => ({ tool, baselineCalls: candidate.baselineToolCalls[tool]!, candidateCalls: n }))
    .sort((a, b) => a.tool.localeCompare(b.tool));
  if (limits.failOnNewTools && newTools.length > 0) reasons.push({ check: 'new-tools', detail: `the candidate calls tools the baseline never did: ${newTools.join(', ')}` });
  if (limits.failOnRemovedTools && removedTools.length > 0) reasons.push({ check: 'removed-tools', detail: `the candidate never calls: ${removedTools.join(', ')}` });

  const costDeltaPct = candidate.baselineCostUsd > 0 ? ((candidate.candidateCostUsd - candidate.baselineCostUsd) / candidate.baselineCostUsd) * 100 : null;
  if (costDeltaPct !== null && costDeltaPct > limits.maxCostIncreasePct) {
    reasons.push({ check: 'cost', detail: `cost +${costDeltaPct.toFixed(1)} % over the baseline on the same requests (limit +${limits.maxCostIncreasePct} %)` });
  }
  const baselineMeanMs = ratio(candidate.baselineLatencyMs, candidate.pairs);
  const candidateMeanMs = ratio(candidate.candidateLatencyMs, candidate.pairs);
  const latencyDeltaMs = candidateMeanMs - baselineMeanMs;
  if (latencyDeltaMs > limits.minLatencyIncreaseMs && (baselineMeanMs === 0 || (latencyDeltaMs / baselineMeanMs) * 100 > limits.maxLatencyIncreasePct)) {
    reasons.push({
      check: 'latency',
      detail: `mean latency ${candidateMeanMs.toFixed(0)} ms against ${baselineMeanMs.toFixed(0)} ms (limits +${limits.maxLatencyIncreasePct} % and +${limits.minLatencyIncreaseMs} ms)`,
    });
  }
  const runs = candidate.pairs + candidate.failures;
  const shadowFailureRate = ratio(candidate.failures, runs);
  if (shadowFailureRate > limits.maxShadowFailureRate) {
    reasons.push({ check: 'shadow-failures', detail: `${candidate.failures} of ${runs} shadow runs failed to pair (limit ${pct(limits.maxShadowFailureRate)})` });
  }

  const insufficient = candidate.pairs < limits.minPairs;
  if (insufficient) reasons.unshift({ check: 'samples', detail: `${candidate.pairs} pairs, fewer than the ${limits.minPairs} needed for a verdict` });
  const verdict = reasons.length === 0 ? 'pass' : reasons.some((r) => r.check !== 'samples') ? 'fail' : 'insufficient';
  const decision = differences.find((d) => d.kind === 'decision')!;
  return {
    agent: input.agent,
    baselineVersionId: input.baselineVersionId,
    candidateVersionId: input.candidateVersionId,
    windowStart: new Date(input.windowStartMs).toISOString(),
    windowEnd: new Date(input.windowEndMs).toISOString(),
    samples: { pairs: candidate.pairs, noisePairs: noise.pairs, shadowFailures: candidate.failures },
    decisionDifferenceRate: decision.candidate.rate,
    noiseFloorRate: decision.noiseFloor.rate,
    differences,
    toolUsage: { newTools, removedTools, calledMoreOften },
    cost: { baselineUsd: round(candidate.baselineCostUsd), candidateUsd: round(candidate.candidateCostUsd), deltaPct: costDeltaPct === null ? null : round(costDeltaPct, 3) },
    latency: { baselineMeanMs: round(baselineMeanMs, 3), candidateMeanMs: round(candidateMeanMs, 3), deltaMs: round(candidateMeanMs - baselineMeanMs, 3) },
    newViolations: {
      pairs: candidate.differences['new-violation'] ?? 0,
      policies: Object.keys(candidate.newViolations).sort(),
    },
    errorMismatches: { candidateOnly: candidate.errorCandidateOnly, baselineOnly: candidate.errorBaselineOnly },
    shadowFailureRate: round(shadowFailureRate),
    verdict,
    reasons,
  };
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(1)} %`;
}
