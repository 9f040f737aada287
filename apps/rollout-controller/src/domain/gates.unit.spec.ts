import { DEFAULT_GATE_THRESHOLDS } from './constants';
import { emptyStageEvidence, addWindow, type StageEvidence } from './evidence';
import { evaluateExternalGate, evaluateGates, gateAlpha, GATE, logEValuesOf, type GateInput } from './gates';
import type { Figures, GateThresholds, LatencyDistribution, Verdict } from './types';

const base: Figures = { requests: 1000, errors: 10, errorRate: 0.01, p99LatencyMs: 500, costPerRequest: 0.01, policyViolations: 0 };
const withErrors = (requests: number, errorRate: number): Figures => ({ ...base, requests, errorRate, errors: Math.round(requests * errorRate) });
const byGate = (verdicts: Verdict[]) => Object.fromEntries(verdicts.map((v) => [v.gate, v]));
const judge = (candidate: Figures, baseline: Figures | 'none' = base, compareToBaseline = true, thresholds: GateThresholds = DEFAULT_GATE_THRESHOLDS, extra: Partial<GateInput> = {}) =>
  byGate(evaluateGates({ candidate: { ...base, ...candidate }, baseline: baseline === 'none' ? undefined : baseline, compareToBaseline, thresholds, snapshotEventId: 's1', ...extra }).verdicts);

/** Feeds windows one by one as the decider does (evolve adds each window's evidence), returning every window's verdicts. */
function stream(windows: Array<Omit<GateInput, 'thresholds' | 'snapshotEventId' | 'stage' | 'compareToBaseline'>>, thresholds = DEFAULT_GATE_THRESHOLDS): Verdict[][] {
  let stage: StageEvidence = emptyStageEvidence();
  return windows.map((w, i) => {
    const { verdicts, window } = evaluateGates({ ...w, compareToBaseline: w.baseline !== undefined, thresholds, snapshotEventId: `s${i}`, stage });
    stage = addWindow(stage, window, logEValuesOf(verdicts));
    return verdicts;
  });
}

describe('gates judge against the margin', () => {
  it('a healthy candidate passes every gate; a verdict is data with its evidence', () => {
    const verdicts = judge({});
    expect(Object.values(verdicts).every((v) => v.status === 'passed')).toBe(true);
    expect(verdicts[GATE.errorRateIncrease]).toMatchObject({ measured: 0.01, baseline: 0.01, samples: 1000, baselineSamples: 1000, pValue: 1 });
    expect(verdicts[GATE.errorRateIncrease]!.limit).toBeCloseTo(0.06, 12);
    expect(verdicts[GATE.errorRateIncrease]!.evidence).toMatchObject({ method: 'beta-binomial-confidence-sequence', looks: 1, logEValue: 0 });
  });

  it('within tolerance passes whatever the sample size: +3 points against a +5-point margin', () => {
    for (const n of [100, 10_000, 1_000_000]) {
      const v = judge(withErrors(n, 0.04), withErrors(n, 0.01));
      expect(v[GATE.errorRateIncrease]!.status).toBe('passed');
    }
  });

  it('beyond the margin but not proven is inconclusive; proven is failed, with the always-valid p-value', () => {
    const small = judge(withErrors(200, 0.08), withErrors(2000, 0.01))[GATE.errorRateIncrease]!;
    expect(small.status).toBe('inconclusive');
    expect(small.note).toContain('not yet proven');
    const large = judge(withErrors(2000, 0.12), withErrors(20_000, 0.01))[GATE.errorRateIncrease]!;
    expect(large.status).toBe('failed');
    expect(large.pValue!).toBeLessThan(large.evidence!.alpha);
  });

  it('error rate far beyond the absolute limit fails in one window (fast breach stays fast)', () => {
    const v = judge(withErrors(100, 0.5), withErrors(2000, 0.01));
    expect(v[GATE.errorRateAbsolute]).toMatchObject({ status: 'failed', limit: 0.1 });
    expect(v[GATE.errorRateIncrease]!.status).toBe('failed');
  });

  it('too few samples never fail, even when overwhelming', () => {
    const v = judge(withErrors(10, 0.9));
    expect(v[GATE.errorRateAbsolute]!.status).toBe('inconclusive');
    expect(v[GATE.errorRateAbsolute]!.note).toContain('too few samples');
  });

  it('exact at tiny counts: 30 requests with 6 errors against a 10 % limit is evidence ≈ the exact binomial tail allows, not a z-test', () => {
    const v = judge(withErrors(30, 0.2), 'none', false)[GATE.errorRateAbsolute]!;
    // P(X ≥ 6 | n = 30, p = 0.1) ≈ 0.073: nothing to roll back on, whatever the look.
    expect(v.status).toBe('inconclusive');
    expect(v.pValue!).toBeGreaterThan(0.07);
  });

  it('cost per request: tested against +20 %, with the spread', () => {
    const cost = (candidate: Figures, baseline: Figures) => judge(candidate, { ...base, ...baseline })[GATE.costIncrease]!;
    expect(cost({ requests: 40, costPerRequest: 0.0125, costPerRequestStdDev: 0.01 }, { requests: 400, costPerRequest: 0.01, costPerRequestStdDev: 0.01 }).status).toBe('inconclusive');
    expect(cost({ requests: 2000, costPerRequest: 0.014, costPerRequestStdDev: 0.003 }, { requests: 8000, costPerRequest: 0.01, costPerRequestStdDev: 0.002 }).status).toBe('failed');
    expect(cost({ requests: 2000, costPerRequest: 0.0115, costPerRequestStdDev: 0.003 }, { requests: 8000, costPerRequest: 0.01, costPerRequestStdDev: 0.002 }).status).toBe('passed');
    // no spread (fixed prices, or an aggregator that sends none): the plain limit applies once there are enough requests
    expect(cost({ requests: 200, costPerRequest: 0.014 }, { requests: 800, costPerRequest: 0.01 }).status).toBe('failed');
    expect(cost({ requests: 20, costPerRequest: 0.014 }, { requests: 800, costPerRequest: 0.01 }).status).toBe('inconclusive');
  });

  it('policies: critical ones keep zero tolerance; compared ones are tested against the baseline\'s rate', () => {
    expect(judge({ policyViolations: 1, 'policyViolations.pii': 1, requests: 1 })[GATE.policyViolations]!.status).toBe('failed');
    const compared: GateThresholds = { ...DEFAULT_GATE_THRESHOLDS, policyViolations: { max: 0, severity: { tone: 'compared' } } };
    const rare = judge({ policyViolations: 1, 'policyViolations.tone': 1 }, { ...base, policyViolations: 1, 'policyViolations.tone': 1 }, true, compared);
    expect(rare[GATE.policyViolations]).toMatchObject({ status: 'passed', measured: 0 });
    expect(rare[GATE.policyRateIncrease]!.status).toBe('passed');
    const many = judge({ requests: 20_000, policyViolations: 400, 'policyViolations.tone': 400 }, { ...base, requests: 20_000, policyViolations: 2, 'policyViolations.tone': 2 }, true, compared);
    expect(many[GATE.policyRateIncrease]!.status).toBe('failed');
    const defaultCompared: GateThresholds = { ...DEFAULT_GATE_THRESHOLDS, policyViolations: { max: 0, defaultSeverity: 'compared', severity: { pii: 'critical' } } };
    expect(judge({ policyViolations: 1, 'policyViolations.tone': 1 }, base, true, defaultCompared)[GATE.policyViolations]!.status).toBe('passed');
    expect(judge({ policyViolations: 1, 'policyViolations.pii': 1 }, base, true, defaultCompared)[GATE.policyViolations]!.status).toBe('failed');
  });

  it('missing figures or baseline are inconclusive; at 100 % only absolute gates run', () => {
    expect(judge({}, 'none')[GATE.errorRateIncrease]!.status).toBe('inconclusive');
    expect(Object.keys(judge({}, 'none', false))).toEqual([GATE.errorRateAbsolute, GATE.p99Absolute, GATE.policyViolations]);
  });

  it('external gates: explicit result wins, else configured bounds, else inconclusive', () => {
    expect(evaluateExternalGate('evals', 0.5, true, { name: 'evals', min: 0.9 }, 'x').status).toBe('passed');
    expect(evaluateExternalGate('evals', 0.5, undefined, { name: 'evals', min: 0.9 }, 'x').status).toBe('failed');
    expect(evaluateExternalGate('evals', 0.95, undefined, { name: 'evals', min: 0.9 }, 'x').status).toBe('passed');
    expect(evaluateExternalGate('evals', 0.95, undefined, undefined, 'x').status).toBe('inconclusive');
  });
});

describe('evidence accumulates over the stage', () => {
  it('a modest excess invisible in any single window is proven over many, and the p-value only falls', () => {
    const windows = Array.from({ length: 40 }, () => ({ candidate: withErrors(200, 0.1), baseline: withErrors(2000, 0.02) }));
    const verdicts = stream(windows).map((v) => byGate(v)[GATE.errorRateIncrease]!);
    expect(verdicts[0]!.status).toBe('inconclusive');
    const firstFailure = verdicts.findIndex((v) => v.status === 'failed');
    expect(firstFailure).toBeGreaterThan(0);
    expect(firstFailure).toBeLessThan(10);
    const pValues = verdicts.map((v) => v.pValue!);
    for (let i = 1; i < pValues.length; i++) expect(pValues[i]!).toBeLessThanOrEqual(pValues[i - 1]!);
    expect(verdicts[firstFailure]!.samples).toBe(200 * (firstFailure + 1));
  });

  it('the alpha is spent across stages (front-loaded) and gates, and sums to the rollout\'s alpha', () => {
    const t = DEFAULT_GATE_THRESHOLDS;
    const gates = [GATE.errorRateAbsolute, GATE.p99Absolute, GATE.errorRateIncrease, GATE.p99Increase, GATE.costIncrease];
    let total = 0;
    for (let s = 0; s < 6; s++) for (const g of gates) total += gateAlpha(t, g, s, 6, s < 5);
    // the last stage (100 %) has only the absolute gates, which then share that stage's alpha
    expect(total).toBeCloseTo(t.statistics.alpha, 12);
    expect(gateAlpha(t, GATE.errorRateIncrease, 0, 6, true)).toBeGreaterThan(gateAlpha(t, GATE.errorRateIncrease, 4, 6, true));
  });
});

describe('p99 gates test the tail share, not one noisy p99', () => {
  // Test-only bridge to the producer of the wire format, so the buckets are exactly what the aggregator sends.
  const { LatencyHistogram } = jest.requireActual('../../../metrics-aggregator/src/aggregation/latency-histogram') as typeof import('../../../metrics-aggregator/src/aggregation/latency-histogram');
  const distribution = (values: number[]): LatencyDistribution => {
    const histogram = new LatencyHistogram();
    values.forEach((v) => histogram.record(v));
    const json = histogram.toJSON();
    return { scheme: json.scheme, count: json.count, buckets: json.buckets };
  };
  /** n requests spread over 300–800 ms, `beyond` of them at `tailMs`. */
  const sample = (n: number, beyond: number, tailMs: number) => [...Array.from({ length: n - beyond }, (_, i) => 300 + (i % 500)), ...Array.from({ length: beyond }, () => tailMs)];
  const p99Verdicts = (candidate: number[], baseline: number[]) =>
    byGate(
      evaluateGates({
        candidate: { ...base, requests: candidate.length },
        candidateLatency: distribution(candidate),
        baseline: { ...base, requests: baseline.length },
        baselineLatency: distribution(baseline),
        compareToBaseline: true,
        thresholds: DEFAULT_GATE_THRESHOLDS,
        snapshotEventId: 's1',
      }).verdicts,
    );

  it('a tail share near 1 % beyond baseline p99 + 200 ms is not a rollback', () => {
    const v = p99Verdicts(sample(400, 5, 1_300), sample(4000, 40, 1_000))[GATE.p99Increase]!;
    expect(v.status).not.toBe('failed');
    expect(v.baseline!).toBeGreaterThan(790);
  });

  it('a heavy tail fails the increase gate and, beyond 2 s, the absolute one', () => {
    const v = p99Verdicts(sample(2000, 200, 2_600), sample(4000, 40, 1_000));
    expect(v[GATE.p99Increase]!.status).toBe('failed');
    expect(v[GATE.p99Absolute]!.status).toBe('failed');
    expect(v[GATE.p99Absolute]!.evidence!.tested).toContain('beyond 2000 ms');
  });

  it('without a histogram a p99 beyond the limit holds the stage but never fails it', () => {
    expect(judge({ p99LatencyMs: 2_500 }, 'none', false)[GATE.p99Absolute]!.status).toBe('inconclusive');
  });
});

describe('session clustering', () => {
  it('errors clustered in sessions count as fewer independent trials: the same counts are weaker evidence', () => {
    const independent = { requests: 2000, errors: 240, errorRate: 0.12, sessionErrorsSquared: 240 + 0, sessionErrorsTimesRequests: 240, sessionRequestsSquared: 2000 };
    // the same 240 errors packed into 48 sessions of 5 requests each (every request of a broken session fails)
    const clustered = { ...independent, sessionErrorsSquared: 48 * 25, sessionErrorsTimesRequests: 48 * 25, sessionRequestsSquared: 400 * 25 };
    const baseline = withErrors(20_000, 0.02);
    const a = judge({ ...base, ...independent }, baseline)[GATE.errorRateIncrease]!;
    const b = judge({ ...base, ...clustered }, baseline)[GATE.errorRateIncrease]!;
    expect(a.measured).toBe(b.measured);
    expect(b.evidence!.logEValue!).toBeLessThan(a.evidence!.logEValue!);
    expect(b.evidence!.tested).toContain('design effect');
    expect(a.evidence!.tested).not.toContain('design effect');
  });
});
