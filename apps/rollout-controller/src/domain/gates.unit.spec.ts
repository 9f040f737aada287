import { DEFAULT_GATE_THRESHOLDS } from './constants';
import { evaluateExternalGate, evaluateGates, GATE } from './gates';
import { binomialUpperTail, normalCdf, oneProportionZTest, twoProportionZTest } from './statistics';
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

describe('p99 gates with the latency distribution (tail test)', () => {
  // Test-only bridge to the producer of the wire format, so the buckets are exactly what the aggregator sends.
  const { LatencyHistogram } = jest.requireActual('../../../metrics-aggregator/src/aggregation/latency-histogram') as typeof import('../../../metrics-aggregator/src/aggregation/latency-histogram');
  const distribution = (values: number[]) => {
    const histogram = new LatencyHistogram();
    values.forEach((v) => histogram.record(v));
    const json = histogram.toJSON();
    return { scheme: json.scheme, count: json.count, buckets: json.buckets };
  };
  const sample = (n: number, beyond: number, limit: number) => [...Array.from({ length: n - beyond }, (_, i) => 300 + (i % 500)), ...Array.from({ length: beyond }, () => limit * 1.1)];
  const judgeP99 = (values: number[], measured: number) =>
    evaluateGates({
      candidate: { ...base, requests: values.length, p99LatencyMs: measured },
      candidateLatency: distribution(values),
      baseline: { ...base, p99LatencyMs: 1_196 },
      compareToBaseline: true,
      thresholds: DEFAULT_GATE_THRESHOLDS,
      snapshotEventId: 's1',
    }).find((v) => v.gate === GATE.p99Increase)!;

  it('noise: a p99 just above the limit with a tail share near 1 % is inconclusive, not a rollback', () => {
    const verdict = judgeP99(sample(387, 5, 1_396), 1_444);
    expect(verdict).toMatchObject({ status: 'inconclusive', measured: 1_444, limit: 1_396 });
    expect(verdict.pValue).toBeGreaterThan(0.05);
    expect(verdict.note).toContain('5 of 387 requests beyond 1396 ms');
  });

  it('a heavy tail beyond the limit fails, with the p-value', () => {
    const verdict = judgeP99(sample(400, 40, 1_396), 1_540);
    expect(verdict.status).toBe('failed');
    expect(verdict.pValue).toBeLessThan(1e-6);
  });

  it('exact binomial tail', () => {
    expect(binomialUpperTail(0, 10, 0.1)).toBe(1);
    expect(binomialUpperTail(1, 1, 0.5)).toBeCloseTo(0.5, 12);
    expect(binomialUpperTail(3, 10, 0.1)).toBeCloseTo(1 - (0.9 ** 10 + 10 * 0.1 * 0.9 ** 9 + 45 * 0.01 * 0.9 ** 8), 10);
    expect(binomialUpperTail(11, 10, 0.1)).toBe(0);
  });
});

describe('cost gate with the spread of the cost per request', () => {
  const cost = (candidate: Record<string, number>, baseline: Record<string, number>) =>
    evaluateGates({ candidate: { ...base, ...candidate }, baseline: { ...base, ...baseline }, compareToBaseline: true, thresholds: DEFAULT_GATE_THRESHOLDS, snapshotEventId: 's1' }).find((v) => v.gate === GATE.costIncrease)!;

  it('noise: a mean 25 % higher on 40 widely spread requests is inconclusive', () => {
    const verdict = cost({ requests: 40, costPerRequest: 0.0125, costPerRequestStdDev: 0.01 }, { requests: 400, costPerRequest: 0.01, costPerRequestStdDev: 0.01 });
    expect(verdict.status).toBe('inconclusive');
    expect(verdict.pValue).toBeGreaterThan(0.05);
  });

  it('a clear excess fails with its p-value', () => {
    const verdict = cost({ requests: 200, costPerRequest: 0.014, costPerRequestStdDev: 0.003 }, { requests: 800, costPerRequest: 0.01, costPerRequestStdDev: 0.002 });
    expect(verdict.status).toBe('failed');
    expect(verdict.pValue).toBeLessThan(1e-6);
  });

  it('without spreads the plain limit applies', () => {
    expect(cost({ requests: 200, costPerRequest: 0.014 }, { requests: 800, costPerRequest: 0.01 }).status).toBe('failed');
  });
});
