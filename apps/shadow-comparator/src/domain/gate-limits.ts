import type { ShadowDifferenceKind } from '@iris/contracts';

/** What a candidate's shadow report must stay within to pass. Every limit has a default. */
export interface ShadowGateLimits {
  /** Fewer candidate pairs than this in a window: verdict `insufficient`. */
  minPairs: number;
  /** Significance level of the one-sided two-proportion test per difference kind. */
  alpha: number;
  /** A difference kind is flagged only when the candidate's rate exceeds the noise floor by more than this too. */
  toleratedExcess: number;
  /** Flagged kinds that fail the gate ('output' alone — wording — is reported, not failed, by default). */
  failOnKinds: readonly ShadowDifferenceKind[];
  /** A tool the candidate calls and the baseline never did fails the gate. */
  failOnNewTools: boolean;
  /** A tool the baseline called at least `minRemovedToolCalls` times and the candidate never did fails the gate. */
  failOnRemovedTools: boolean;
  minRemovedToolCalls: number;
  /** A tool is reported as called more often when the candidate calls it more than (1 + this) × as often. */
  toolCallIncrease: number;
  /** Cost increase over the baseline on the same requests, in %. */
  maxCostIncreasePct: number;
  /** Mean latency increase over the baseline on the same requests, in % … */
  maxLatencyIncreasePct: number;
  /** … and in ms: both must be exceeded (a few ms over a sub-millisecond baseline is no regression). */
  minLatencyIncreaseMs: number;
  /** Shadow runs that failed to pair (timed out, crashed, lost), as a share of the candidate's runs. */
  maxShadowFailureRate: number;
}

export const DEFAULT_SHADOW_GATE_LIMITS: ShadowGateLimits = {
  minPairs: 30,
  alpha: 0.01,
  toleratedExcess: 0.02,
  failOnKinds: ['decision', 'tool-sequence', 'new-violation', 'error-mismatch'],
  failOnNewTools: true,
  failOnRemovedTools: true,
  minRemovedToolCalls: 3,
  toolCallIncrease: 0.5,
  maxCostIncreasePct: 20,
  maxLatencyIncreasePct: 50,
  minLatencyIncreaseMs: 100,
  maxShadowFailureRate: 0.05,
};
