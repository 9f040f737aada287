import {
  addVersionEvidence,
  coarseQuantile,
  countBeyond,
  emptyStageEvidence,
  errorDesignEffect,
  versionEvidenceOf,
  type StageEvidence,
  type VersionEvidence,
  type WindowEvidence,
} from './evidence';
import {
  alwaysValidPValue,
  logEvidenceAbove,
  logMixtureEvidenceOfExcess,
  priorAround,
  proportionBounds,
} from './sequential';
import type { ExternalGateSpec, Figures, GateEvidence, GateThresholds, LatencyDistribution, Verdict } from './types';

export interface GateInput {
  candidate: Figures | undefined;
  /** The candidate's latency histogram of the window: lets the p99 gates test the tail rather than one noisy p99. */
  candidateLatency?: LatencyDistribution;
  /** Absent when the stage has no baseline to compare with (100 %) or the snapshot lacks it. */
  baseline: Figures | undefined;
  baselineLatency?: LatencyDistribution;
  compareToBaseline: boolean;
  thresholds: GateThresholds;
  snapshotEventId: string;
  /** What the stage accumulated before this window (empty at the stage's first window). */
  stage?: StageEvidence;
  /** The stage judged and the rollout's number of stages: the rollout's alpha is spent across them (gateAlpha). */
  stageIndex?: number;
  stageCount?: number;
}

export interface GateOutcome {
  verdicts: Verdict[];
  /** This window's contribution to the stage's evidence (recorded in SnapshotEvaluated). */
  window: WindowEvidence;
}

export const GATE = {
  errorRateAbsolute: 'errorRate.absolute',
  errorRateIncrease: 'errorRate.increase',
  p99Absolute: 'p99LatencyMs.absolute',
  p99Increase: 'p99LatencyMs.increase',
  costIncrease: 'costPerRequest.increase',
  policyViolations: 'policyViolations.max',
  policyRateIncrease: 'policyViolations.compared',
} as const;

export const externalGateName = (name: string): string => `external:${name}`;

/** A p99 within its limit lets 1 % of requests beyond it. */
const TAIL_SHARE = 0.01;
/** The baseline's share of an increase gate's alpha (the baseline has most of the traffic, so its bound is narrow). */
const BASELINE_ALPHA_SHARE = 0.25;
/** Baseline requests needed before its p99 is a usable reference for the increase gate. */
const MIN_BASELINE_FOR_P99 = 200;
/** The cost test is a normal approximation: it needs this many requests per side whatever minSamplesPerVersion says. */
const MIN_SAMPLES_FOR_COST = 50;
const DEFAULT_POLICY_RATE_MARGIN = 0.001;

/**
 * The rollout's alpha, spent across stages and gates (Bonferroni, so the total stays ≤ alpha whatever the stages
 * do): stage s (0-based) gets a share ∝ 1/(s+1) — front-loaded, since a bad candidate should be caught in shadow or
 * at 1 %, while late stages have so much traffic that a small share suffices; within a stage the comparisons with
 * the baseline get twice the share of the absolute limits.
 */
export function gateAlpha(thresholds: GateThresholds, gate: string, stageIndex: number, stageCount: number, compareToBaseline: boolean): number {
  let harmonic = 0;
  for (let s = 1; s <= Math.max(1, stageCount); s++) harmonic += 1 / s;
  const stageShare = 1 / (Math.min(stageIndex, stageCount - 1) + 1) / harmonic;
  const weights = gateWeights(thresholds, compareToBaseline);
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  return (thresholds.statistics.alpha * stageShare * (weights[gate] ?? 0)) / total;
}

function gateWeights(thresholds: GateThresholds, compareToBaseline: boolean): Record<string, number> {
  const absolute = { [GATE.errorRateAbsolute]: 1, [GATE.p99Absolute]: 1 };
  if (!compareToBaseline) return absolute;
  return {
    ...absolute,
    [GATE.errorRateIncrease]: 2,
    [GATE.p99Increase]: 2,
    [GATE.costIncrease]: 2,
    ...(hasComparedPolicies(thresholds) && { [GATE.policyRateIncrease]: 1 }),
  };
}

const hasComparedPolicies = (t: GateThresholds): boolean =>
  t.policyViolations.defaultSeverity === 'compared' || Object.values(t.policyViolations.severity ?? {}).includes('compared');

/**
 * Judges the candidate on everything its stage has seen so far (this window included), against absolute limits and,
 * below 100 %, against the baseline plus its margin. Each statistical gate runs an always-valid sequential test
 * (sequential.ts) at its share of the rollout's alpha, so looking after every window does not inflate false
 * failures. Within the limit → `passed`; beyond it but not yet proven → `inconclusive` (holds the stage);
 * proven beyond at alpha (with at least minSamplesPerVersion requests) → `failed`.
 */
export function evaluateGates(input: GateInput): GateOutcome {
  const { thresholds: t, snapshotEventId } = input;
  const compare = input.compareToBaseline;
  const window: WindowEvidence = {
    candidate: versionEvidenceOf(input.candidate, input.candidateLatency, t),
    ...(compare && { baseline: versionEvidenceOf(input.baseline, input.baselineLatency, t) }),
  };
  const before = input.stage ?? emptyStageEvidence();
  const baseline = window.baseline ? addVersionEvidence(before.baseline, window.baseline) : before.baseline;
  // The candidate's tail is counted in this window against the thresholds as they stand now (they depend on the
  // baseline only, never on the candidate's own data, so the accumulated counts stay a valid sequential sample).
  window.candidate.beyondAbsoluteP99 = countBeyond(input.candidateLatency, t.p99LatencyMs.absoluteMax);
  const increaseThreshold = p99IncreaseThreshold(t, baseline);
  if (increaseThreshold !== null && input.candidateLatency) {
    window.candidate.beyondIncreaseP99 = countBeyond(input.candidateLatency, increaseThreshold);
    window.candidate.increaseP99Requests = input.candidateLatency.count;
  }
  const candidate = addVersionEvidence(before.candidate, window.candidate);
  const looks = before.looks + 1;
  const stageCount = Math.max(1, input.stageCount ?? 1);
  const alphaOf = (gate: string) => gateAlpha(t, gate, input.stageIndex ?? 0, stageCount, compare);
  const context: Context = { t, alphaOf, looks, maxLogE: before.maxLogEValue, snapshotEventId, minSamples: t.statistics.minSamplesPerVersion };

  const verdicts: Verdict[] = [
    errorRateAbsolute(context, candidate),
    p99Absolute(context, candidate, input.candidate),
    criticalPolicies(context, candidate),
  ];
  if (compare) {
    const hasBaseline = input.baseline !== undefined || baseline.requests > 0;
    if (!hasBaseline) {
      verdicts.push(
        missingBaseline(context, GATE.errorRateIncrease, candidate.requests, t.errorRate.maxIncrease),
        missingBaseline(context, GATE.p99Increase, candidate.requests, t.p99LatencyMs.maxIncrease),
        missingBaseline(context, GATE.costIncrease, candidate.requests, t.costPerRequest.maxRelativeIncrease),
      );
    } else {
      verdicts.push(errorRateIncrease(context, candidate, baseline), p99Increase(context, candidate, baseline, input), costIncrease(context, candidate, baseline));
      if (hasComparedPolicies(t)) verdicts.push(comparedPolicies(context, candidate, baseline));
    }
  }
  return { verdicts, window };
}

interface Context {
  t: GateThresholds;
  /** A gate's alpha in this stage. */
  alphaOf(gate: string): number;
  looks: number;
  maxLogE: Record<string, number>;
  snapshotEventId: string;
  minSamples: number;
}

type Judged = Omit<Verdict, 'gate' | 'snapshotEventId' | 'evidence' | 'pValue'> & { logE?: number; method?: GateEvidence['method']; tested?: string; alpha?: number };

/** Builds the verdict: `failed` needs the evidence at 1/alpha and the sample floor; p-value over the stage so far. */
function verdictOf(c: Context, gate: string, judged: Judged, enoughSamples: boolean): Verdict {
  const { logE, method, tested, alpha = c.alphaOf(gate), ...rest } = judged;
  const verdict: Verdict = { gate, ...rest, snapshotEventId: c.snapshotEventId };
  if (logE === undefined || method === undefined) return verdict;
  const maxLogE = Math.max(c.maxLogE[gate] ?? 0, logE);
  verdict.pValue = alwaysValidPValue(maxLogE);
  verdict.evidence = { method, alpha, logEValue: logE, looks: c.looks, ...(tested && { tested }) };
  if (verdict.status === 'passed') return verdict;
  if (logE >= Math.log(1 / alpha) && enoughSamples) return { ...verdict, status: 'failed' };
  return {
    ...verdict,
    status: 'inconclusive',
    note: enoughSamples ? `beyond the limit, not yet proven at alpha ${formatAlpha(alpha)}` : `beyond the limit on too few samples (${judged.samples ?? 0} < ${c.minSamples})`,
  };
}

const formatAlpha = (alpha: number): string => alpha.toPrecision(2);

/** Errors and requests as independent trials: the counts divided by the design effect of session clustering. */
function effectiveErrors(v: VersionEvidence): { successes: number; trials: number; designEffect: number } {
  const designEffect = errorDesignEffect(v);
  return { successes: v.errors / designEffect, trials: v.requests / designEffect, designEffect };
}

const clustering = (deff: number) => (deff > 1.005 ? `; sessions cluster errors (design effect ${deff.toFixed(2)})` : '');

function errorRateAbsolute(c: Context, candidate: VersionEvidence): Verdict {
  const limit = c.t.errorRate.absoluteMax;
  if (candidate.requests === 0) return noData(c, GATE.errorRateAbsolute, limit);
  const measured = candidate.errors / candidate.requests;
  const { successes: k, trials: n, designEffect } = effectiveErrors(candidate);
  return verdictOf(
    c,
    GATE.errorRateAbsolute,
    {
      status: measured <= limit ? 'passed' : 'inconclusive',
      measured,
      limit,
      samples: candidate.requests,
      logE: logEvidenceAbove(k, n, limit, priorAround(limit)),
      method: 'beta-binomial-confidence-sequence',
      tested: `error rate ≤ ${limit}${clustering(designEffect)}`,
    },
    candidate.requests >= c.minSamples,
  );
}

/**
 * H0: candidate rate ≤ baseline rate + margin. The baseline's rate is bounded above by its own confidence sequence
 * (a quarter of the alpha), and the candidate is tested against that bound plus the margin (the rest): a failure is
 * false only if one of the two sequences misses, so the gate's false-failure probability stays ≤ alpha.
 */
function proportionIncrease(
  c: Context,
  gate: string,
  candidate: { successes: number; trials: number },
  baseline: { successes: number; trials: number },
  margin: number,
  priorRate: number,
  what: string,
  designEffects: { candidate: number; baseline: number } = { candidate: 1, baseline: 1 },
): Verdict {
  const requests = candidate.trials;
  if (requests === 0) return noData(c, gate, margin);
  const baselineRate = baseline.trials > 0 ? baseline.successes / baseline.trials : 0;
  const limit = baselineRate + margin;
  const measured = candidate.successes / requests;
  const k = candidate.successes / designEffects.candidate;
  const n = requests / designEffects.candidate;
  const baselineRequests = baseline.trials;
  baseline = { successes: baseline.successes / designEffects.baseline, trials: baseline.trials / designEffects.baseline };
  const alphaBaseline = c.alphaOf(gate) * BASELINE_ALPHA_SHARE;
  const alphaCandidate = c.alphaOf(gate) - alphaBaseline;
  const passed = measured <= limit;
  const baselineUpper = passed || baseline.trials === 0 ? 1 : proportionBounds(baseline.successes, baseline.trials, alphaBaseline, priorAround(priorRate)).upper;
  const tested = Math.min(1, baselineUpper + margin);
  return verdictOf(
    c,
    gate,
    {
      status: passed ? 'passed' : 'inconclusive',
      measured,
      limit,
      baseline: baselineRate,
      samples: requests,
      baselineSamples: baselineRequests,
      logE: passed ? 0 : logEvidenceAbove(k, n, tested, priorAround(priorRate)),
      method: 'beta-binomial-confidence-sequence',
      alpha: alphaCandidate,
      tested: `${what} ≤ ${passed ? `baseline + ${margin}` : `${tested.toPrecision(4)} (baseline's upper bound ${baselineUpper.toPrecision(4)} + ${margin})`}${clustering(Math.max(designEffects.candidate, designEffects.baseline))}`,
    },
    requests >= c.minSamples && baselineRequests >= c.minSamples,
  );
}

function errorRateIncrease(c: Context, candidate: VersionEvidence, baseline: VersionEvidence): Verdict {
  return proportionIncrease(
    c,
    GATE.errorRateIncrease,
    { successes: candidate.errors, trials: candidate.requests },
    { successes: baseline.errors, trials: baseline.requests },
    c.t.errorRate.maxIncrease,
    c.t.errorRate.absoluteMax,
    'error rate',
    { candidate: errorDesignEffect(candidate), baseline: errorDesignEffect(baseline) },
  );
}

function comparedPolicies(c: Context, candidate: VersionEvidence, baseline: VersionEvidence): Verdict {
  const margin = c.t.policyViolations.maxRateIncrease ?? DEFAULT_POLICY_RATE_MARGIN;
  const rate = (v: VersionEvidence) => ({ successes: Math.min(v.comparedViolations, v.requests), trials: v.requests });
  return proportionIncrease(c, GATE.policyRateIncrease, rate(candidate), rate(baseline), margin, 2 * margin, 'compared-policy violations per request');
}

/** The increase gate's threshold: the baseline's p99 over the stage plus the margin (null until the baseline has enough requests). */
function p99IncreaseThreshold(t: GateThresholds, baseline: VersionEvidence): number | null {
  if (baseline.latencyRequests < Math.max(t.statistics.minSamplesPerVersion, MIN_BASELINE_FOR_P99)) return null;
  const p99 = coarseQuantile(baseline.latency, baseline.latencyRequests, 0.99);
  return p99 === null ? null : p99 + t.p99LatencyMs.maxIncrease;
}

/** A p99 above the limit means more than 1 % of requests beyond it: the share is tested (beta-binomial), not the noisy p99. */
function tailTest(c: Context, gate: string, candidate: VersionEvidence, beyond: number, n: number, limitMs: number, extra: Partial<Verdict>): Verdict {
  const measured = coarseQuantile(candidate.latency, candidate.latencyRequests, 0.99);
  const share = beyond / n;
  return verdictOf(
    c,
    gate,
    {
      status: share <= TAIL_SHARE ? 'passed' : 'inconclusive',
      measured,
      limit: limitMs,
      samples: n,
      ...extra,
      logE: logEvidenceAbove(beyond, n, TAIL_SHARE, priorAround(2 * TAIL_SHARE)),
      method: 'beta-binomial-confidence-sequence',
      tested: `share of requests beyond ${Math.round(limitMs)} ms ≤ 1 % (seen: ${Math.round(beyond)} of ${n})`,
    },
    n >= c.minSamples,
  );
}

function p99Absolute(c: Context, candidate: VersionEvidence, figures: Figures | undefined): Verdict {
  const limit = c.t.p99LatencyMs.absoluteMax;
  if (candidate.latencyRequests === 0) return p99WithoutHistogram(c, GATE.p99Absolute, figures, limit);
  return tailTest(c, GATE.p99Absolute, candidate, candidate.beyondAbsoluteP99, candidate.latencyRequests, limit, {});
}

/** The candidate's requests beyond the baseline's p99 plus the margin (as it stood in each window) must stay ≤ 1 %. */
function p99Increase(c: Context, candidate: VersionEvidence, baseline: VersionEvidence, input: GateInput): Verdict {
  const threshold = p99IncreaseThreshold(c.t, baseline);
  if (candidate.increaseP99Requests === 0 || threshold === null) {
    const baselineP99 = input.baseline?.['p99LatencyMs'];
    const margin = c.t.p99LatencyMs.maxIncrease;
    return p99WithoutHistogram(c, GATE.p99Increase, input.candidate, typeof baselineP99 === 'number' ? baselineP99 + margin : margin, baselineP99);
  }
  const baselineP99 = threshold - c.t.p99LatencyMs.maxIncrease;
  return tailTest(c, GATE.p99Increase, candidate, candidate.beyondIncreaseP99, candidate.increaseP99Requests, threshold, { baseline: baselineP99, baselineSamples: baseline.latencyRequests });
}

/** Without a histogram there is nothing to test: a p99 beyond the limit holds the stage but never fails it. */
function p99WithoutHistogram(c: Context, gate: string, figures: Figures | undefined, limit: number, baseline?: number): Verdict {
  const measured = figures?.['p99LatencyMs'];
  const withBaseline = baseline === undefined ? {} : { baseline };
  if (typeof measured !== 'number') return { gate, status: 'inconclusive', measured: null, limit, ...withBaseline, note: 'figure missing', snapshotEventId: c.snapshotEventId };
  if (measured <= limit) return { gate, status: 'passed', measured, limit, ...withBaseline, snapshotEventId: c.snapshotEventId };
  return { gate, status: 'inconclusive', measured, limit, ...withBaseline, note: 'beyond the limit; no latency histogram to test it with', snapshotEventId: c.snapshotEventId };
}

/** H0: mean cost ≤ (1 + margin) × the baseline's; mSPRT with the margin as the effect size worth detecting. */
function costIncrease(c: Context, candidate: VersionEvidence, baseline: VersionEvidence): Verdict {
  const factor = 1 + c.t.costPerRequest.maxRelativeIncrease;
  if (candidate.costRequests === 0 || baseline.costRequests === 0) return noData(c, GATE.costIncrease, c.t.costPerRequest.maxRelativeIncrease);
  const mean = candidate.costSum / candidate.costRequests;
  const baselineMean = baseline.costSum / baseline.costRequests;
  const limit = factor * baselineMean;
  const sample = (v: VersionEvidence) => ({ n: v.costRequests, sum: v.costSum, sumOfSquares: v.costSquares });
  const passed = mean <= limit;
  const test = passed ? undefined : logMixtureEvidenceOfExcess(sample(candidate), sample(baseline), factor, Math.max(c.t.costPerRequest.maxRelativeIncrease, 0.05) * baselineMean);
  const floor = Math.max(c.minSamples, MIN_SAMPLES_FOR_COST);
  return verdictOf(
    c,
    GATE.costIncrease,
    {
      status: passed ? 'passed' : 'inconclusive',
      measured: mean,
      limit,
      baseline: baselineMean,
      samples: candidate.costRequests,
      baselineSamples: baseline.costRequests,
      logE: test?.logE ?? 0,
      method: 'normal-mixture-sprt',
      tested: `mean cost ≤ ${factor} × baseline's${test ? ` (excess ${test.difference.toPrecision(3)} ± ${test.standardError.toPrecision(3)})` : ''}`,
    },
    candidate.costRequests >= floor && baseline.costRequests >= floor,
  );
}

/** Critical policies keep the seed's zero tolerance: more than `max` violations in the stage fails at once, whatever the sample size. */
function criticalPolicies(c: Context, candidate: VersionEvidence): Verdict {
  const max = c.t.policyViolations.max;
  const measured = candidate.criticalViolations;
  return {
    gate: GATE.policyViolations,
    status: measured <= max ? 'passed' : 'failed',
    measured,
    limit: max,
    samples: candidate.requests,
    evidence: { method: 'zero-tolerance', alpha: 0, looks: c.looks },
    snapshotEventId: c.snapshotEventId,
  };
}

function noData(c: Context, gate: string, limit: number): Verdict {
  return { gate, status: 'inconclusive', measured: null, limit, note: 'no requests yet', snapshotEventId: c.snapshotEventId };
}

function missingBaseline(c: Context, gate: string, samples: number, limit: number): Verdict {
  return { gate, status: 'inconclusive', measured: null, limit, samples, note: 'no baseline figures in this window', snapshotEventId: c.snapshotEventId };
}

/** The ln e-values this window's verdicts reached, by gate (for the stage's running maxima). */
export function logEValuesOf(verdicts: readonly Verdict[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of verdicts) if (v.evidence?.logEValue !== undefined) out[v.gate] = v.evidence.logEValue;
  return out;
}

/** An external gate (offline eval, safety checker): an explicit `passed` wins, else the configured bounds. */
export function evaluateExternalGate(
  name: string,
  value: number,
  passed: boolean | undefined,
  spec: ExternalGateSpec | undefined,
  source: string,
): Verdict {
  const limit = spec?.min ?? spec?.max ?? value;
  const base = { gate: externalGateName(name), measured: value, limit, snapshotEventId: source };
  if (passed !== undefined) return { ...base, status: passed ? 'passed' : 'failed' };
  if (!spec || (spec.min === undefined && spec.max === undefined))
    return { ...base, status: 'inconclusive', note: 'no bounds configured and no explicit result' };
  const withinMin = spec.min === undefined || value >= spec.min;
  const withinMax = spec.max === undefined || value <= spec.max;
  return { ...base, status: withinMin && withinMax ? 'passed' : 'failed' };
}

export const allPassed = (verdicts: readonly Verdict[]): boolean =>
  verdicts.length > 0 && verdicts.every((v) => v.status === 'passed');
export const failedVerdicts = (verdicts: readonly Verdict[]): Verdict[] => verdicts.filter((v) => v.status === 'failed');
