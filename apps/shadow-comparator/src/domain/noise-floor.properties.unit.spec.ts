import fc from 'fast-check';
import { DEFAULT_SHADOW_GATE_LIMITS } from './gate-limits';
import { pairingDecider, type PairingEvent, type PairingState } from './pairing';
import { buildShadowReport } from './report';
import { countInto, emptyTally } from './tally';
import { seededRandom, simulateRun, type SimulatedVersion } from './testing/simulated-runs';

/**
 * Noise cancellation, end to end through the pure domain: a candidate that is the very same (non-deterministic)
 * version as the baseline differs from it as often as the baseline differs from itself, so the report shows its
 * rates at the noise floor and the gate passes — over many seeds. A candidate that really differs fails.
 */

const BASELINE: SimulatedVersion = { versionId: 'v1', tools: ['lookup_order', 'issue_refund'], costUsd: 0.01, latencyMs: 800, outputNoise: 0.15, toolOrderNoise: 0.05, errorRate: 0.02 };

function simulateWindow(candidate: SimulatedVersion, seed: number, requests = 400, noiseShare = 0.3) {
  const random = seededRandom(seed);
  const decider = pairingDecider({ timeoutMs: 30_000 });
  let state: PairingState = decider.initialState();
  const tallies = { candidate: emptyTally(), noise: emptyTally() };
  const apply = (events: PairingEvent[]) => {
    for (const event of events) {
      state = decider.evolve(state, event);
      if (event.type === 'PairCompared' || event.type === 'ShadowUnpaired') countInto(event.slot.noise ? tallies.noise : tallies.candidate, event);
    }
  };
  for (let n = 0; n < requests; n++) {
    const noise = random() < noiseShare;
    const dispatched = [{ versionId: candidate.versionId, noise: false }, ...(noise ? [{ versionId: BASELINE.versionId, noise: true }] : [])];
    const atMs = 1_000_000 + n * 10;
    apply(decider.decide({ type: 'RecordRun', run: simulateRun(BASELINE, n, random, 'primary', { atMs, dispatched }) }, state));
    apply(decider.decide({ type: 'RecordRun', run: simulateRun(candidate, n, random, 'shadow', { atMs: atMs + 5, mirrors: { primaryVersionId: 'v1', noise: false } }) }, state));
    if (noise) apply(decider.decide({ type: 'RecordRun', run: simulateRun(BASELINE, n, random, 'shadow', { atMs: atMs + 6, mirrors: { primaryVersionId: 'v1', noise: true } }) }, state));
  }
  return buildShadowReport({ agent: 'support-bot', baselineVersionId: 'v1', candidateVersionId: candidate.versionId, windowStartMs: 0, windowEndMs: 1, ...tallies, limits: DEFAULT_SHADOW_GATE_LIMITS });
}

describe('noise floor (property)', () => {
  it('an identical candidate sits at the noise floor and passes, over 200 seeds (false failures ≤ 5 %)', () => {
    let failures = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const report = simulateWindow({ ...BASELINE, versionId: 'v1-copy' }, seed);
        runs++;
        expect(report.samples.pairs).toBe(400);
        expect(report.samples.noisePairs).toBeGreaterThan(60);
        // Non-deterministic outputs: the candidate does differ, about as often as the baseline from itself.
        expect(report.decisionDifferenceRate).toBeGreaterThan(0.1);
        expect(Math.abs(report.decisionDifferenceRate - report.noiseFloorRate)).toBeLessThan(0.25);
        expect(report.toolUsage).toEqual({ newTools: [], removedTools: [], calledMoreOften: [] });
        if (report.verdict !== 'pass') failures++;
      }),
      { seed: 12, numRuns: 200 },
    );
    expect(runs).toBe(200);
    process.stdout.write(`identical candidate: ${failures} of ${runs} windows failed\n`);
    expect(failures / runs).toBeLessThanOrEqual(0.05);
  });

  it('without noise cancellation the same candidate would be flagged: its raw rate is far from zero', () => {
    const report = simulateWindow({ ...BASELINE, versionId: 'v1-copy' }, 7);
    expect(report.decisionDifferenceRate).toBeGreaterThan(DEFAULT_SHADOW_GATE_LIMITS.toleratedExcess * 5);
    expect(report.verdict).toBe('pass');
  });

  it('a candidate that drops a tool, calls a new one or costs 30 % more fails', () => {
    expect(simulateWindow({ ...BASELINE, versionId: 'v2', tools: ['lookup_order'] }, 3).verdict).toBe('fail');
    expect(simulateWindow({ ...BASELINE, versionId: 'v2', tools: ['lookup_order', 'issue_refund', 'delete_account'] }, 3).toolUsage.newTools).toEqual(['delete_account']);
    expect(simulateWindow({ ...BASELINE, versionId: 'v2', costUsd: 0.013 }, 3).reasons.map((r) => r.check)).toEqual(['cost']);
  });
});
