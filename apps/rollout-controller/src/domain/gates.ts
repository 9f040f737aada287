import { latencyBuckets } from '@iris/contracts';
import { binomialUpperTail, normalCdf, oneProportionZTest, twoProportionZTest, type ProportionTest } from './statistics';
import type { ExternalGateSpec, Figures, GateThresholds, LatencyDistribution, Verdict } from './types';

export interface GateInput {
  candidate: Figures | undefined;
  /** The candidate's latency histogram of the window: lets the p99 gates test the tail rather than one noisy p99. */
  candidateLatency?: LatencyDistribution;
  /** Absent when the stage has no baseline to compare with (100 %) or the snapshot lacks it. */
  baseline: Figures | undefined;
  compareToBaseline: boolean;
  thresholds: GateThresholds;
  snapshotEventId: string;
}

export const GATE = {
  errorRateAbsolute: 'errorRate.absolute',
  errorRateIncrease: 'errorRate.increase',
  p99Absolute: 'p99LatencyMs.absolute',
  p99Increase: 'p99LatencyMs.increase',
  costIncrease: 'costPerRequest.increase',
  policyViolations: 'policyViolations.max',
} as const;

export const externalGateName = (name: string): string => `external:${name}`;

/**
 * Judges a candidate against absolute limits and, below 100 %, against the baseline of the same window.
 * A breach on too few samples (or not statistically significant) is `inconclusive`, never `failed`:
 * noise alone must not roll back, and silence must not advance.
 */
export function evaluateGates(input: GateInput): Verdict[] {
  const { candidate, baseline, compareToBaseline, thresholds: t, snapshotEventId, candidateLatency } = input;
  const candidateRequests = figure(candidate, 'requests') ?? 0;
  const baselineRequests = figure(baseline, 'requests') ?? 0;
  const minSamples = t.statistics.minSamplesPerVersion;
  const verdict = (gate: string, v: Omit<Verdict, 'gate' | 'snapshotEventId'>): Verdict => ({ gate, ...v, snapshotEventId });

  const errorRate = figure(candidate, 'errorRate');
  const candidateErrors = Math.round((errorRate ?? 0) * candidateRequests);
  const verdicts: Verdict[] = [
    judgeWithTest(
      verdict,
      GATE.errorRateAbsolute,
      errorRate,
      t.errorRate.absoluteMax,
      undefined,
      () => oneProportionZTest(candidateErrors, candidateRequests, t.errorRate.absoluteMax, minSamples),
      t.statistics.alpha,
    ),
    judgeP99(verdict, GATE.p99Absolute, figure(candidate, 'p99LatencyMs'), t.p99LatencyMs.absoluteMax, candidateRequests >= minSamples, undefined, candidateLatency, t.statistics),
    judgePolicyViolations(verdict, figure(candidate, 'policyViolations'), t.policyViolations.max),
  ];
  if (!compareToBaseline) return verdicts;

  const enoughForComparison = candidateRequests >= minSamples && baselineRequests >= minSamples;
  const baselineErrorRate = figure(baseline, 'errorRate');
  const baselineP99 = figure(baseline, 'p99LatencyMs');
  const baselineCost = figure(baseline, 'costPerRequest');
  verdicts.push(
    baselineErrorRate === undefined
      ? missingBaseline(verdict, GATE.errorRateIncrease, errorRate, t.errorRate.maxIncrease)
      : judgeWithTest(
          verdict,
          GATE.errorRateIncrease,
          errorRate,
          baselineErrorRate + t.errorRate.maxIncrease,
          baselineErrorRate,
          () =>
            twoProportionZTest(
              candidateErrors,
              candidateRequests,
              Math.round(baselineErrorRate * baselineRequests),
              baselineRequests,
              minSamples,
            ),
          t.statistics.alpha,
        ),
    baselineP99 === undefined
      ? missingBaseline(verdict, GATE.p99Increase, figure(candidate, 'p99LatencyMs'), t.p99LatencyMs.maxIncrease)
      : judgeP99(
          verdict,
          GATE.p99Increase,
          figure(candidate, 'p99LatencyMs'),
          baselineP99 + t.p99LatencyMs.maxIncrease,
          enoughForComparison,
          baselineP99,
          candidateLatency,
          t.statistics,
        ),
    baselineCost === undefined
      ? missingBaseline(verdict, GATE.costIncrease, figure(candidate, 'costPerRequest'), t.costPerRequest.maxRelativeIncrease)
      : judgeWithTest(
          verdict,
          GATE.costIncrease,
          figure(candidate, 'costPerRequest'),
          baselineCost * (1 + t.costPerRequest.maxRelativeIncrease),
          baselineCost,
          () => costIncreaseTest(candidate, baseline, 1 + t.costPerRequest.maxRelativeIncrease, minSamples),
          t.statistics.alpha,
          enoughForComparison,
        ),
  );
  return verdicts;
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

type MakeVerdict = (gate: string, v: Omit<Verdict, 'gate' | 'snapshotEventId'>) => Verdict;

function figure(figures: Figures | undefined, name: string): number | undefined {
  const value = figures?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function judgeLimit(
  verdict: MakeVerdict,
  gate: string,
  measured: number | undefined,
  limit: number,
  enoughSamples: boolean,
  baseline?: number,
): Verdict {
  const withBaseline = baseline === undefined ? {} : { baseline };
  if (measured === undefined) return verdict(gate, { status: 'inconclusive', measured: null, limit, ...withBaseline, note: 'figure missing' });
  if (measured <= limit) return verdict(gate, { status: 'passed', measured, limit, ...withBaseline });
  if (!enoughSamples)
    return verdict(gate, { status: 'inconclusive', measured, limit, ...withBaseline, note: 'limit exceeded on too few samples' });
  return verdict(gate, { status: 'failed', measured, limit, ...withBaseline });
}

/** Fails only when the limit is exceeded AND the excess is significant at `alpha`. */
function judgeWithTest(
  verdict: MakeVerdict,
  gate: string,
  measured: number | undefined,
  limit: number,
  baseline: number | undefined,
  test: () => ProportionTest | null | 'no-spread',
  alpha: number,
  enoughSamplesWithoutTest = false,
): Verdict {
  const withBaseline = baseline === undefined ? {} : { baseline };
  if (measured === undefined) return verdict(gate, { status: 'inconclusive', measured: null, limit, ...withBaseline, note: 'figure missing' });
  if (measured <= limit) return verdict(gate, { status: 'passed', measured, limit, ...withBaseline });
  const result = test();
  if (result === 'no-spread') return judgeLimit(verdict, gate, measured, limit, enoughSamplesWithoutTest, baseline);
  if (result === null)
    return verdict(gate, { status: 'inconclusive', measured, limit, ...withBaseline, note: 'limit exceeded; too few samples for the z-test' });
  const pValue = result.pValue;
  if (pValue >= alpha)
    return verdict(gate, { status: 'inconclusive', measured, limit, ...withBaseline, pValue, note: `limit exceeded but not significant at alpha ${alpha}` });
  return verdict(gate, { status: 'failed', measured, limit, ...withBaseline, pValue });
}

/**
 * A p99 above its limit fails only if the tail says so: with the candidate's histogram, the share of requests
 * beyond the limit must exceed 1 % significantly (exact binomial test at `alpha`; H0: the true p99 ≤ limit).
 * Buckets straddling the limit do not count against the candidate. Without a histogram: the plain limit.
 */
function judgeP99(
  verdict: MakeVerdict,
  gate: string,
  measured: number | undefined,
  limit: number,
  enoughSamples: boolean,
  baseline: number | undefined,
  distribution: LatencyDistribution | undefined,
  statistics: GateThresholds['statistics'],
): Verdict {
  if (distribution === undefined) return judgeLimit(verdict, gate, measured, limit, enoughSamples, baseline);
  const withBaseline = baseline === undefined ? {} : { baseline };
  if (measured === undefined) return verdict(gate, { status: 'inconclusive', measured: null, limit, ...withBaseline, note: 'figure missing' });
  if (measured <= limit) return verdict(gate, { status: 'passed', measured, limit, ...withBaseline });
  const n = distribution.count;
  if (!enoughSamples || n < statistics.minSamplesPerVersion)
    return verdict(gate, { status: 'inconclusive', measured, limit, ...withBaseline, note: 'limit exceeded on too few samples' });
  const beyond = latencyBuckets(distribution.buckets).reduce((sum, [lower, , count]) => (lower >= limit ? sum + count : sum), 0);
  const pValue = binomialUpperTail(beyond, n, 0.01);
  const note = `${beyond} of ${n} requests beyond ${Math.round(limit)} ms (a p99 within the limit allows 1 %)`;
  if (pValue >= statistics.alpha)
    return verdict(gate, { status: 'inconclusive', measured, limit, ...withBaseline, pValue, note: `${note}: not significant at alpha ${statistics.alpha}` });
  return verdict(gate, { status: 'failed', measured, limit, ...withBaseline, pValue, note });
}

/**
 * H1: candidate mean cost > factor × baseline mean cost (a z-test on the difference of means with each side's
 * own variance, as in Welch's test; normal approximation, so only from `minSamples` requests per side).
 * 'no-spread' when the snapshot carries no standard deviations (then the plain limit applies).
 */
function costIncreaseTest(candidate: Figures | undefined, baseline: Figures | undefined, factor: number, minSamples: number): ProportionTest | null | 'no-spread' {
  const sdC = figure(candidate, 'costPerRequestStdDev');
  const sdB = figure(baseline, 'costPerRequestStdDev');
  if (sdC === undefined || sdB === undefined) return 'no-spread';
  const nC = figure(candidate, 'requests') ?? 0;
  const nB = figure(baseline, 'requests') ?? 0;
  if (nC < Math.max(minSamples, 2) || nB < Math.max(minSamples, 2)) return null;
  const standardError = Math.sqrt((sdC * sdC) / nC + (factor * factor * sdB * sdB) / nB);
  if (standardError === 0) return null;
  const z = (figure(candidate, 'costPerRequest')! - factor * figure(baseline, 'costPerRequest')!) / standardError;
  return { z, pValue: 1 - normalCdf(z) };
}

/** Zero tolerance: any violation fails, whatever the sample size. */
function judgePolicyViolations(verdict: MakeVerdict, measured: number | undefined, max: number): Verdict {
  if (measured === undefined)
    return verdict(GATE.policyViolations, { status: 'inconclusive', measured: null, limit: max, note: 'figure missing' });
  return verdict(GATE.policyViolations, { status: measured <= max ? 'passed' : 'failed', measured, limit: max });
}

function missingBaseline(verdict: MakeVerdict, gate: string, measured: number | undefined, limit: number): Verdict {
  return verdict(gate, { status: 'inconclusive', measured: measured ?? null, limit, note: 'no baseline figures in this window' });
}

export const allPassed = (verdicts: readonly Verdict[]): boolean =>
  verdicts.length > 0 && verdicts.every((v) => v.status === 'passed');
export const failedVerdicts = (verdicts: readonly Verdict[]): Verdict[] => verdicts.filter((v) => v.status === 'failed');
