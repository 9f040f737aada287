import type { GateThresholds, RollbackLimits, StageSpec, Strategy } from './types';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Seed progression: shadow → 1 → 5 → 25 → 50 → 100 %, each with a minimum duration and sample size. */
export const DEFAULT_PROGRESSIVE_STAGES: readonly StageSpec[] = [
  { name: 'shadow', trafficPercent: 0, minDurationMs: HOUR, minSamples: 500, shadowSampleRate: 0.1 },
  { name: 'canary-1', trafficPercent: 1, minDurationMs: HOUR, minSamples: 200 },
  { name: 'canary-5', trafficPercent: 5, minDurationMs: 2 * HOUR, minSamples: 500 },
  { name: 'canary-25', trafficPercent: 25, minDurationMs: 4 * HOUR, minSamples: 1_000 },
  { name: 'canary-50', trafficPercent: 50, minDurationMs: 8 * HOUR, minSamples: 2_000 },
  { name: 'full', trafficPercent: 100, minDurationMs: 24 * HOUR, minSamples: 2_000 },
];

/** Blue-green is an atomic cutover after a shadow phase. */
export const DEFAULT_BLUE_GREEN_STAGES: readonly StageSpec[] = [
  { name: 'shadow', trafficPercent: 0, minDurationMs: HOUR, minSamples: 500, shadowSampleRate: 0.1 },
  { name: 'full', trafficPercent: 100, minDurationMs: HOUR, minSamples: 500 },
];

export function defaultStagesFor(strategy: Strategy): readonly StageSpec[] {
  switch (strategy) {
    case 'rainbow':
    case 'canary':
      return DEFAULT_PROGRESSIVE_STAGES;
    case 'blue-green':
      return DEFAULT_BLUE_GREEN_STAGES;
    default: {
      const unreachable: never = strategy;
      throw new Error(`unknown strategy ${String(unreachable)}`);
    }
  }
}

/** Seed thresholds: error rate +5 points / 10 % absolute, p99 +200 ms / 2 s, cost +20 %, zero policy violations. */
export const DEFAULT_GATE_THRESHOLDS: GateThresholds = {
  errorRate: { maxIncrease: 0.05, absoluteMax: 0.1 },
  p99LatencyMs: { maxIncrease: 200, absoluteMax: 2_000 },
  costPerRequest: { maxRelativeIncrease: 0.2 },
  policyViolations: { max: 0 },
  statistics: { alpha: 0.05, minSamplesPerVersion: 30 },
  external: [],
};

export const DEFAULT_ROLLBACK_LIMITS: RollbackLimits = { cooldownMs: 300_000, maxAutomaticRollbacksPerHour: 3 };

export const ONE_HOUR_MS = HOUR;
export const DEFAULT_SHADOW_SAMPLE_RATE = 0.1;
/** Weights are kept as integer parts per million so they sum to exactly 1 000 000. */
export const WEIGHT_SCALE = 1_000_000;
/** How many handled command ids (and snapshot ids) the aggregate remembers for idempotency. */
export const IDEMPOTENCY_WINDOW = 500;
