/**
 * The decision-quality cases: the seed runbook's default stages (shadow 1 h, 1 % 1 h, 5 % 2 h, 25 % 4 h, 50 % 8 h,
 * 100 % 24 h) on 10 s windows, at 2,000 and at 200 requests a window, with the shipped default gates.
 */
import type { RolloutScenario } from './simulate-rollout';
import type { VersionBehaviour } from './window-sampler';

/** A healthy production version: 2 % errors, $0.01 a request (log-sd 0.5), p50 600 ms / p99 ≈ 1.2 s, rare non-critical `tone` flags. */
export const BASELINE: VersionBehaviour = {
  errorRate: 0.02,
  cost: { median: 0.01, sigma: 0.5 },
  latency: { median: 600, sigma: 0.3, shiftMs: 0 },
  // DECISIONS_NO_TONE=1 drops the non-critical policy (to show what peeking alone does to a decider with zero tolerance)
  policies: process.env.DECISIONS_NO_TONE === '1' ? { pii: 0 } : { tone: 1e-4, pii: 0 },
  sessionLength: 5,
};

/** The same version whose errors cluster in sessions: 4 % of sessions fail 30 % of their requests (a broken tool), the rest 0.8 %. */
export const CLUSTERED: VersionBehaviour = { ...BASELINE, degradedSessions: { share: 0.04, errorRate: 0.3 } };

/** `tone` is compared with the baseline's rate; every other policy (here `pii`) keeps the seed's zero tolerance. */
export const GATES = { policyViolations: { severity: { tone: 'compared' } } };

const HOUR_WINDOWS = 360; // 10 s windows
const FULL_LENGTH_WINDOWS = 40 * HOUR_WINDOWS;

export type CaseKind = 'a/a' | 'within-tolerance' | 'regression';

export interface DecisionCase {
  kind: CaseKind;
  /** For regressions: median windows to detection the issue targets. */
  targetMedianWindows?: number;
  scenario: RolloutScenario;
}

const scenario = (name: string, requestsPerWindow: number, candidate: VersionBehaviour): RolloutScenario => ({
  name,
  requestsPerWindow,
  windowMs: 10_000,
  latenessMs: 5_000,
  baseline: BASELINE,
  candidate,
  gates: GATES,
  maxWindows: 2 * FULL_LENGTH_WINDOWS,
});

const withCost = (factor: number): VersionBehaviour => ({ ...BASELINE, cost: { ...BASELINE.cost, median: BASELINE.cost.median * factor } });

export function decisionCases(): DecisionCase[] {
  const cases: DecisionCase[] = [];
  for (const rpw of [2_000, 200]) {
    const fast = rpw === 2_000;
    cases.push(
      { kind: 'a/a', scenario: scenario(`A/A (identical candidate), ${rpw} req/window`, rpw, BASELINE) },
      { kind: 'a/a', scenario: { ...scenario(`A/A, errors clustered in sessions, ${rpw} req/window`, rpw, CLUSTERED), baseline: CLUSTERED } },
      { kind: 'within-tolerance', scenario: scenario(`errors +3 points (margin 5), ${rpw} req/window`, rpw, { ...BASELINE, errorRate: BASELINE.errorRate + 0.03 }) },
      { kind: 'within-tolerance', scenario: scenario(`cost +10 % (margin 20 %), ${rpw} req/window`, rpw, withCost(1.1)) },
      { kind: 'regression', targetMedianWindows: fast ? 3 : 25, scenario: scenario(`errors +10 points, ${rpw} req/window`, rpw, { ...BASELINE, errorRate: BASELINE.errorRate + 0.1 }) },
      { kind: 'regression', targetMedianWindows: fast ? 12 : 100, scenario: scenario(`cost +30 %, ${rpw} req/window`, rpw, withCost(1.3)) },
      { kind: 'regression', targetMedianWindows: fast ? 10 : 40, scenario: scenario(`p99 +300 ms, ${rpw} req/window`, rpw, { ...BASELINE, latency: { ...BASELINE.latency, shiftMs: 300 } }) },
      { kind: 'regression', targetMedianWindows: fast ? 15 : 130, scenario: scenario(`critical policy 1 per 1,000 requests, ${rpw} req/window`, rpw, { ...BASELINE, policies: { ...BASELINE.policies, pii: 1e-3 } }) },
    );
  }
  return cases;
}

/** Sum of the default stages' minimum durations, in windows. */
export const MIN_DURATION_WINDOWS = FULL_LENGTH_WINDOWS;
