import { SimulationConfigError } from './errors';

/** z for the 99th percentile of a standard normal. */
const Z99 = 2.3263478740408408;

export type LatencyDistribution = 'lognormal' | 'normal' | 'uniform';

export interface LatencyProfile {
  distribution: LatencyDistribution;
  p50: number;
  p99: number;
}

/** How one agent version behaves. Rates are probabilities in [0, 1]. */
export interface SimulatedVersion {
  versionId: string;
  /** Share of sessions routed to this version (relative to the other weights). */
  weight: number;
  /** Probability that a request fails (error set). */
  errorRate: number;
  latencyMs: LatencyProfile;
  costUsd: { mean: number; sd: number };
  /** Mean token counts per request (±25 % noise). */
  tokens?: { inMean: number; outMean: number };
  /** Probability that one tool call fails. */
  toolFailureRate: number;
  /** Probability that a request has a policy violation. */
  policyViolationRate: number;
  /** Online evaluator scores, clamped to [0, 1]. */
  scores?: Record<string, { mean: number; sd: number }>;
  /** Probability that a request gets an agent.feedback.recorded event. */
  feedbackRate: number;
}

/** A healthy version (1 % errors, p50 400 ms / p99 1.2 s, $0.01 per request), with `overrides` applied. */
export function simulatedVersion(versionId: string, overrides: Partial<SimulatedVersion> = {}): SimulatedVersion {
  return {
    versionId,
    weight: 1,
    errorRate: 0.01,
    latencyMs: { distribution: 'lognormal', p50: 400, p99: 1_200 },
    costUsd: { mean: 0.01, sd: 0.001 },
    toolFailureRate: 0.01,
    policyViolationRate: 0,
    feedbackRate: 0,
    ...overrides,
  };
}

export interface SimulationScenario {
  versions: SimulatedVersion[];
  tenants: string[];
  features: string[];
  /** Requests per second; 0 = as fast as possible (real clock) / 1,000 per simulated second. */
  requestRatePerSec: number;
  /** Requests per session, uniform in [min, max]. */
  sessionLength: { min: number; max: number };
  /** Bound of the run: a request count, or a duration (simulated or wall-clock). */
  totalRequests?: number;
  durationMs?: number;
  seed: number;
  /** Sessions open at once (their requests interleave). Default 8. */
  concurrentSessions?: number;
  /** Tool calls per request. Default 1. */
  toolCallsPerRequest?: number;
}

export type ResolvedScenario = Required<Omit<SimulationScenario, 'totalRequests' | 'durationMs'>> & {
  totalRequests?: number;
  durationMs?: number;
};

export function resolveScenario(scenario: SimulationScenario): ResolvedScenario {
  const fail = (message: string): never => {
    throw new SimulationConfigError(message);
  };
  if (!scenario.versions?.length) fail('at least one version is required');
  if (!scenario.tenants?.length) fail('at least one tenant is required');
  if (!scenario.features?.length) fail('at least one feature is required');
  if (!(scenario.requestRatePerSec >= 0)) fail('requestRatePerSec must be ≥ 0');
  const { min, max } = scenario.sessionLength ?? {};
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) fail('sessionLength must be integers 1 ≤ min ≤ max');
  if (scenario.totalRequests === undefined && scenario.durationMs === undefined) fail('totalRequests or durationMs is required');
  if (!Number.isInteger(scenario.seed)) fail('seed must be an integer');
  for (const v of scenario.versions) {
    if (!v.versionId) fail('every version needs a versionId');
    if (!(v.weight >= 0)) fail(`${v.versionId}: weight must be ≥ 0`);
    for (const rate of ['errorRate', 'toolFailureRate', 'policyViolationRate', 'feedbackRate'] as const) {
      if (!(v[rate] >= 0 && v[rate] <= 1)) fail(`${v.versionId}: ${rate} must be in [0, 1]`);
    }
    if (!(v.latencyMs.p50 > 0 && v.latencyMs.p99 >= v.latencyMs.p50)) fail(`${v.versionId}: latency needs 0 < p50 ≤ p99`);
  }
  if (!scenario.versions.some((v) => v.weight > 0)) fail('at least one version needs a positive weight');
  return { concurrentSessions: 8, toolCallsPerRequest: 1, ...scenario };
}

/** Returns a latency sampler (ms, ≥ 0) whose median and 99th percentile match the profile. */
export function latencySampler(profile: LatencyProfile, normal: () => number, uniform: () => number): () => number {
  const { p50, p99 } = profile;
  switch (profile.distribution) {
    case 'lognormal': {
      const mu = Math.log(p50);
      const sigma = (Math.log(p99) - mu) / Z99;
      return () => Math.exp(mu + sigma * normal());
    }
    case 'normal': {
      const sd = (p99 - p50) / Z99;
      return () => Math.max(0, p50 + sd * normal());
    }
    case 'uniform': {
      const width = (p99 - p50) / 0.49; // p50 = a + w/2, p99 = a + 0.99 w
      const low = p50 - width / 2;
      return () => Math.max(0, low + width * uniform());
    }
    default:
      throw new SimulationConfigError(`unknown latency distribution ${String(profile.distribution)}`);
  }
}
