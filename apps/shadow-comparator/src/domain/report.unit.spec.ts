import { DEFAULT_SHADOW_GATE_LIMITS } from './gate-limits';
import { buildShadowReport } from './report';
import { excessPValue } from './significance';
import { emptyTally, type ShadowTally } from './tally';

const tally = (over: Partial<ShadowTally> & { decision?: number; toolSeq?: number } = {}): ShadowTally => {
  const t = emptyTally();
  const pairs = over.pairs ?? 200;
  Object.assign(t, {
    pairs,
    baselineToolCalls: { lookup_order: pairs, issue_refund: pairs },
    candidateToolCalls: { lookup_order: pairs, issue_refund: pairs },
    baselineCostUsd: pairs * 0.01,
    candidateCostUsd: pairs * 0.01,
    baselineLatencyMs: pairs * 100,
    candidateLatencyMs: pairs * 100,
    ...over,
  });
  t.differences = { ...t.differences, decision: over.decision ?? 0, 'tool-sequence': over.toolSeq ?? 0 };
  return t;
};

const report = (candidate: ShadowTally, noise: ShadowTally = tally(), limits = DEFAULT_SHADOW_GATE_LIMITS) =>
  buildShadowReport({ agent: 'support-bot', baselineVersionId: 'v1', candidateVersionId: 'v2', windowStartMs: 0, windowEndMs: 60_000, candidate, noise, limits });

describe('excess over the noise floor (one-sided two-proportion test)', () => {
  it('equal rates are not significant; a clear excess is', () => {
    expect(excessPValue(20, 200, 20, 200)).toBeCloseTo(0.5);
    expect(excessPValue(60, 200, 20, 200)).toBeLessThan(0.0001);
    expect(excessPValue(10, 200, 20, 200)).toBeGreaterThan(0.9);
  });

  it('a textbook value: 30/100 against 20/100 gives z ≈ 1.633, p ≈ 0.0512', () => {
    expect(excessPValue(30, 100, 20, 100)).toBeCloseTo(0.0512, 3);
  });

  it('no difference anywhere, or no candidate sample, is nothing to test; no noise sample means a floor of 0', () => {
    expect(excessPValue(0, 200, 0, 200)).toBe(1);
    expect(excessPValue(0, 0, 3, 200)).toBe(1);
    expect(excessPValue(1, 200, 0, 0)).toBe(0);
  });
});

describe('shadow report and gate verdict', () => {
  it('a candidate that differs as often as the baseline differs from itself passes, with the floor beside its rate', () => {
    const r = report(tally({ decision: 22 }), tally({ decision: 20 }));
    expect(r.verdict).toBe('pass');
    expect(r.reasons).toEqual([]);
    expect(r.decisionDifferenceRate).toBeCloseTo(0.11);
    expect(r.noiseFloorRate).toBeCloseTo(0.1);
    expect(r.differences.find((d) => d.kind === 'decision')).toMatchObject({ candidate: { count: 22, of: 200 }, noiseFloor: { count: 20, of: 200 }, flagged: false });
    expect(r.samples).toEqual({ pairs: 200, noisePairs: 200, shadowFailures: 0 });
  });

  it('a decision-difference rate significantly above the floor fails, naming the figures', () => {
    const r = report(tally({ decision: 60 }), tally({ decision: 20 }));
    expect(r.verdict).toBe('fail');
    expect(r.reasons[0]).toMatchObject({ check: 'decision' });
    expect(r.reasons[0]!.detail).toContain('60 of 200');
  });

  it('a candidate that drops a tool fails (removed tool)', () => {
    const r = report(tally({ candidateToolCalls: { lookup_order: 200 }, toolSeq: 200, decision: 200 }));
    expect(r.toolUsage.removedTools).toEqual(['issue_refund']);
    expect(r.reasons.map((x) => x.check)).toEqual(expect.arrayContaining(['removed-tools', 'tool-sequence', 'decision']));
    expect(r.verdict).toBe('fail');
  });

  it('a candidate that calls a tool the baseline never calls fails (new tool), even when a tolerance hides the rate', () => {
    const r = report(tally({ candidateToolCalls: { lookup_order: 200, issue_refund: 200, delete_account: 3 } }));
    expect(r.toolUsage.newTools).toEqual(['delete_account']);
    expect(r.verdict).toBe('fail');
  });

  it('a tool the baseline calls only in its noise reruns is not new', () => {
    const noise = tally({ candidateToolCalls: { lookup_order: 200, issue_refund: 200, escalate: 1 } });
    expect(report(tally({ candidateToolCalls: { lookup_order: 200, issue_refund: 200, escalate: 1 } }), noise).toolUsage.newTools).toEqual([]);
  });

  it('a candidate costing 30 % more fails; 10 % more passes', () => {
    expect(report(tally({ candidateCostUsd: 200 * 0.013 })).reasons).toEqual([expect.objectContaining({ check: 'cost' })]);
    expect(report(tally({ candidateCostUsd: 200 * 0.013 })).cost.deltaPct).toBeCloseTo(30);
    expect(report(tally({ candidateCostUsd: 200 * 0.011 })).verdict).toBe('pass');
  });

  it('tools called much more often are reported', () => {
    expect(report(tally({ candidateToolCalls: { lookup_order: 600, issue_refund: 200 } })).toolUsage.calledMoreOften).toEqual([
      { tool: 'lookup_order', baselineCalls: 200, candidateCalls: 600 },
    ]);
  });

  it('too many shadow failures fail; too few pairs is insufficient', () => {
    expect(report(tally({ failures: 40 })).reasons).toEqual([expect.objectContaining({ check: 'shadow-failures' })]);
    expect(report(tally({ pairs: 10 })).verdict).toBe('insufficient');
  });

  it('latency fails only when both the relative and the absolute increase are exceeded', () => {
    expect(report(tally({ candidateLatencyMs: 200 * 250 })).reasons).toEqual([expect.objectContaining({ check: 'latency' })]);
    expect(report(tally({ baselineLatencyMs: 200 * 0.5, candidateLatencyMs: 200 * 3 })).verdict).toBe('pass');
  });

  it('limits are configurable', () => {
    expect(report(tally({ candidateCostUsd: 200 * 0.013 }), tally(), { ...DEFAULT_SHADOW_GATE_LIMITS, maxCostIncreasePct: 50 }).verdict).toBe('pass');
  });

  it('the report is a valid shadow.report payload', async () => {
    const { validateEvent, EXAMPLES } = await import('@iris/contracts');
    const data = report(tally({ decision: 60 }), tally({ decision: 20 }));
    expect(() => validateEvent({ ...EXAMPLES['shadow.report'], data })).not.toThrow();
  });
});
