import { DEFAULT_GATE_THRESHOLDS } from './constants';
import { evaluateExternalGate, evaluateGates, GATE } from './gates';
import { normalCdf, oneProportionZTest, twoProportionZTest } from './statistics';
import type { Figures } from './types';

const base: Figures = { requests: 1000, errorRate: 0.01, p99LatencyMs: 500, costPerRequest: 0.01, policyViolations: 0 };
const judge = (candidate: Record<string, number>, baseline: Figures | 'none' = base, compareToBaseline = true) =>
  Object.fromEntries(
    evaluateGates({ candidate: { ...base, ...candidate }, baseline: baseline === 'none' ? undefined : baseline, compareToBaseline, thresholds: DEFAULT_GATE_THRESHOLDS, snapshotEventId: 's1' }).map(
      (v) => [v.gate, v],
    ),
  );

describe('statistics', () => {
  it('normal CDF', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.96)).toBeCloseTo(0.975, 3);
    expect(normalCdf(-1.645)).toBeCloseTo(0.05, 3);
  });

  it('two-proportion z-test: significant, not significant, too few samples', () => {
    expect(twoProportionZTest(100, 1000, 10, 1000)!.pValue).toBeLessThan(1e-6);
    expect(twoProportionZTest(12, 1000, 10, 1000)!.pValue).toBeGreaterThan(0.3);
    expect(twoProportionZTest(3, 10, 0, 1000)).toBeNull();
    expect(twoProportionZTest(0, 100, 0, 100)).toBeNull();
  });

  it('one-proportion z-test', () => {
    expect(oneProportionZTest(200, 1000, 0.1)!.pValue).toBeLessThan(1e-6);
    expect(oneProportionZTest(1, 2, 0.1)).toBeNull();
  });
});

describe('gates (seed defaults)', () => {
  it('all pass for a healthy candidate; a verdict is data', () => {
    const verdicts = judge({});
    expect(Object.values(verdicts).every((v) => v.status === 'passed')).toBe(true);
    expect(verdicts[GATE.p99Increase]).toEqual({ gate: GATE.p99Increase, status: 'passed', measured: 500, limit: 700, baseline: 500, snapshotEventId: 's1' });
  });

  it('error rate: +5 points over baseline or 10 % absolute, when significant', () => {
    const increase = judge({ errorRate: 0.07 })[GATE.errorRateIncrease]!;
    expect(increase).toMatchObject({ status: 'failed', baseline: 0.01 });
    expect(increase.limit).toBeCloseTo(0.06, 12);
    expect(judge({ errorRate: 0.05 })[GATE.errorRateIncrease]!.status).toBe('passed');
    expect(judge({ errorRate: 0.2 })[GATE.errorRateAbsolute]).toMatchObject({ status: 'failed', limit: 0.1 });
  });

  it('error rate: a breach on few samples is inconclusive, not failed', () => {
    const v = judge({ requests: 10, errorRate: 0.2 });
    expect(v[GATE.errorRateAbsolute]!.status).toBe('inconclusive');
    expect(v[GATE.errorRateIncrease]!.status).toBe('inconclusive');
  });

  it('p99 latency: +200 ms and 2 000 ms absolute', () => {
    expect(judge({ p99LatencyMs: 701 })[GATE.p99Increase]!.status).toBe('failed');
    expect(judge({ p99LatencyMs: 2001 }, { ...base, p99LatencyMs: 1900 })[GATE.p99Absolute]!.status).toBe('failed');
    expect(judge({ p99LatencyMs: 701, requests: 5 })[GATE.p99Increase]!.status).toBe('inconclusive');
  });

  it('cost per request: +20 %', () => {
    expect(judge({ costPerRequest: 0.0121 })[GATE.costIncrease]!.status).toBe('failed');
    expect(judge({ costPerRequest: 0.0119 })[GATE.costIncrease]!.status).toBe('passed');
  });

  it('policy violations: zero tolerance whatever the sample size', () => {
    expect(judge({ policyViolations: 1, requests: 1 })[GATE.policyViolations]!.status).toBe('failed');
  });

  it('missing figures or baseline are inconclusive; at 100 % only absolute gates run', () => {
    expect(judge({ p99LatencyMs: Number.NaN })[GATE.p99Absolute]).toMatchObject({ status: 'inconclusive', measured: null });
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
