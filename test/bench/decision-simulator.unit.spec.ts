import { MetricsAccumulator, figuresOf, flattenFigures } from '../../apps/metrics-aggregator/src/aggregation';
import { Prng } from '../../libs/agent-sim/src/prng';
import { accumulatorOf, bucketIndexes, figuresWithSessions } from '../../bench/decisions/snapshot-builder';
import { BASELINE, CLUSTERED } from '../../bench/decisions/scenarios';
import { WindowSampler, binomial, latencySupport, type WindowSummary } from '../../bench/decisions/window-sampler';

/**
 * Self-test of the decision-quality benchmark: the snapshot it builds from a window summary must equal what the
 * metrics-aggregator computes when fed the same requests one by one.
 */
describe('decision benchmark simulator', () => {
  const support = latencySupport(BASELINE.latency);
  const indexes = bucketIndexes(support.valuesMs);

  function explicitWindow(rng: Prng, n: number) {
    const acc = new MetricsAccumulator();
    const summary: WindowSummary = {
      requests: n,
      errors: 0,
      costSum: 0,
      costSquares: 0,
      latencyCounts: new Float64Array(support.valuesMs.length),
      violations: { tone: 0 },
      sessions: 0,
      sessionErrorsSquared: 0,
      sessionErrorsTimesRequests: 0,
      sessionRequestsSquared: 0,
    };
    const sessionErrors: number[] = [];
    const sessionRequests: number[] = [];
    for (let i = 0; i < n; i++) {
      const session = Math.floor(i / BASELINE.sessionLength);
      const error = rng.chance(session % 7 === 0 ? 0.4 : 0.03); // some sessions worse than others
      sessionErrors[session] = (sessionErrors[session] ?? 0) + (error ? 1 : 0);
      sessionRequests[session] = (sessionRequests[session] ?? 0) + 1;
      const cost = Math.round(BASELINE.cost.median * Math.exp(BASELINE.cost.sigma * rng.normal()) * 1e6) / 1e6;
      const bin = rng.weightedIndex([...support.probabilities]);
      const violated = rng.chance(0.01);
      summary.errors += error ? 1 : 0;
      summary.costSum += cost;
      summary.costSquares += cost * cost;
      summary.latencyCounts[bin]! += 1;
      summary.violations.tone! += violated ? 1 : 0;
      acc.recordRequest({
        sessionId: `s${session}`,
        requestId: `r${i}`,
        error: error ? { kind: 'model', message: 'x' } : null,
        toolCalls: [],
        latencyMs: support.valuesMs[bin]!,
        tokensIn: 0,
        tokensOut: 0,
        costUsd: cost,
        policyViolations: violated ? [{ policy: 'tone' }] : [],
      } as unknown as Parameters<MetricsAccumulator['recordRequest']>[0]);
    }
    summary.sessions = sessionRequests.length;
    sessionRequests.forEach((r, s) => {
      const e = sessionErrors[s]!;
      summary.sessionErrorsSquared += e * e;
      summary.sessionErrorsTimesRequests += e * r;
      summary.sessionRequestsSquared += r * r;
    });
    return { acc, summary };
  }

  it.each([1, 7, 63, 64, 500, 2000])('the snapshot built from a summary of %i requests equals the aggregator\'s on those requests', (n) => {
    const { acc, summary } = explicitWindow(new Prng(n), n);
    const built = accumulatorOf({ versionId: 'v1', role: 'primary', summary, latencyValuesMs: support.valuesMs, bucketIndexes: indexes });
    const ours = flattenFigures(figuresWithSessions(figuresOf(built), summary));
    const theirs = flattenFigures(figuresOf(acc));
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    expect(theirs['sessionErrorsSquared']).toBeDefined();
    for (const name of Object.keys(theirs)) expect([name, ours[name]]).toEqual([name, expect.closeTo(theirs[name]!, 9)]);
    expect(built.latencyMs.toJSON().buckets).toEqual(acc.latencyMs.toJSON().buckets);
  });

  it('sessions cluster errors as configured: the design effect of CLUSTERED is well above 1, of BASELINE about 1', () => {
    const deff = (behaviour: typeof BASELINE) => {
      const rng = new Prng(3);
      const sampler = new WindowSampler(behaviour);
      let n = 0, k = 0, ee = 0, en = 0, nn = 0;
      for (let w = 0; w < 200; w++) {
        const s = sampler.sample(rng, 2000);
        n += s.requests; k += s.errors; ee += s.sessionErrorsSquared; en += s.sessionErrorsTimesRequests; nn += s.sessionRequestsSquared;
      }
      const p = k / n;
      return (ee - 2 * p * en + p * p * nn) / (n * p * (1 - p));
    };
    expect(deff(BASELINE)).toBeCloseTo(1, 1);
    expect(deff(CLUSTERED)).toBeGreaterThan(1.5);
  });

  it('draws match their distributions (errors, tail share, cost mean) over many windows', () => {
    const rng = new Prng(42);
    const sampler = new WindowSampler(BASELINE);
    let errors = 0;
    let requests = 0;
    let beyond = 0;
    let cost = 0;
    const p99 = BASELINE.latency.median * Math.exp(BASELINE.latency.sigma * 2.326348);
    for (let w = 0; w < 400; w++) {
      const s = sampler.sample(rng, 2000);
      requests += s.requests;
      errors += s.errors;
      cost += s.costSum;
      s.latencyCounts.forEach((c, i) => (beyond += sampler.latencyValuesMs[i]! > p99 ? c : 0));
    }
    expect(errors / requests).toBeCloseTo(BASELINE.errorRate, 3);
    expect(beyond / requests).toBeCloseTo(0.01, 3);
    const mean = BASELINE.cost.median * Math.exp((BASELINE.cost.sigma * BASELINE.cost.sigma) / 2);
    expect(cost / requests / mean).toBeCloseTo(1, 2);
    let total = 0;
    for (let i = 0; i < 2000; i++) total += binomial(rng, 100, 0.3);
    expect(total / 2000).toBeCloseTo(30, 0);
  });
});
