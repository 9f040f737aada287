import fc from 'fast-check';
import { Prng } from '../../../../libs/agent-sim/src/prng';
import { binomial } from '../../../../bench/decisions/window-sampler';
import { DEFAULT_GATE_THRESHOLDS } from './constants';
import { addWindow, emptyStageEvidence } from './evidence';
import { evaluateGates, logEValuesOf } from './gates';
import { jStat } from './jstat';
import { logEvidenceAbove, logMixture, priorAround, proportionBounds } from './sequential';
import type { GateThresholds } from './types';

describe('beta-binomial mixture (exact at any count)', () => {
  it('ln M_n(p) is the ratio of the beta-binomial marginal to the binomial likelihood', () => {
    const prior = { a: 2, b: 18 };
    // n = 3, k = 1: ∫ q(1-q)² Beta(q; 2, 18) dq / (p(1-p)²) = B(3, 20) / B(2, 18) / (p (1-p)²)
    const p = 0.1;
    const direct = Math.exp(jStat.betaln(3, 20) - jStat.betaln(2, 18)) / (p * (1 - p) ** 2);
    expect(Math.exp(logMixture(1, 3, p, prior))).toBeCloseTo(direct, 12);
  });

  it('its confidence sequence holds the true rate at every look with probability ≥ 1 − α (fixed seed)', () => {
    const rng = new Prng(7);
    const alpha = 0.1;
    const runs = 400;
    let misses = 0;
    for (let r = 0; r < runs; r++) {
      let k = 0;
      let n = 0;
      for (let look = 0; look < 300; look++) {
        k += binomial(rng, 20, 0.05);
        n += 20;
        const { lower, upper } = proportionBounds(k, n, alpha, priorAround(0.05));
        if (lower > 0.05 || upper < 0.05) {
          misses++;
          break;
        }
      }
    }
    // ≤ α in expectation; 3 σ above it would flag a broken sequence
    expect(misses / runs).toBeLessThan(alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / runs));
  });

  it('within the limit there is no evidence; far beyond it there is a lot', () => {
    expect(logEvidenceAbove(5, 100, 0.1, priorAround(0.1))).toBe(0);
    expect(logEvidenceAbove(50, 100, 0.1, priorAround(0.1))).toBeGreaterThan(30);
  });
});

describe('A/A: an identical candidate fails a gate with frequency ≤ alpha, however long and often it is looked at', () => {
  it('random snapshot sequences of any length (fixed seed, so it never flakes)', () => {
    const alpha = 0.2; // large, so that a broken bound would show in a few hundred sequences
    const thresholds: GateThresholds = { ...DEFAULT_GATE_THRESHOLDS, statistics: { alpha, minSamplesPerVersion: 30 } };
    const sequence = fc.record({
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      windows: fc.integer({ min: 1, max: 300 }),
      requests: fc.integer({ min: 5, max: 2_000 }),
      errorRate: fc.double({ min: 0.001, max: 0.3, noNaN: true }),
      costSd: fc.double({ min: 0.0005, max: 0.02, noNaN: true }),
    });
    let sequences = 0;
    let failures = 0;
    fc.assert(
      fc.property(sequence, ({ seed, windows, requests, errorRate, costSd }) => {
        const rng = new Prng(seed);
        let stage = emptyStageEvidence();
        sequences++;
        const figures = (n: number) => {
          const errors = binomial(rng, n, errorRate);
          const mean = Math.max(1e-4, 0.01 + (costSd / Math.sqrt(n)) * rng.normal());
          return { requests: n, errors, errorRate: errors / n, costPerRequest: mean, costPerRequestStdDev: costSd, policyViolations: 0 };
        };
        for (let w = 0; w < windows; w++) {
          const { verdicts, window } = evaluateGates({ candidate: figures(requests), baseline: figures(requests * 4), compareToBaseline: true, thresholds, snapshotEventId: `s${w}`, stage, stageCount: 1 });
          if (verdicts.some((v) => v.status === 'failed')) {
            failures++;
            return;
          }
          stage = addWindow(stage, window, logEValuesOf(verdicts));
        }
      }),
      { seed: 20261204, numRuns: 300 },
    );
    expect(failures / sequences).toBeLessThanOrEqual(alpha);
  });
});

describe('evidence survives the log (JSON)', () => {
  it('certain evidence is finite: a zero limit with an error, and a cost excess with no spread', () => {
    const zero = logEvidenceAbove(1, 10, 0, priorAround(0.1));
    expect(Number.isFinite(zero)).toBe(true);
    expect(JSON.parse(JSON.stringify({ zero })).zero).toBe(zero);
  });
});
