/** Shared vocabulary of the rollout domain. Plain data only: every value here survives JSON round trips. */

export type VersionId = string;
/** ISO-8601 timestamp with offset, e.g. `2025-01-31T12:00:00Z`. */
export type IsoTimestamp = string;

export type Strategy = 'rainbow' | 'canary' | 'blue-green';
export type SessionPolicy = 'let-finish' | 'migrate' | 'terminate';

/** Lifecycle of one deployed version in the fleet (rainbow model: N versions may be live). */
export type VersionState = 'shadow' | 'canary' | 'active' | 'draining' | 'drained' | 'retired' | 'killed';

/** What the router does with sessions already running on a version. */
export type ExistingSessions = 'keep' | 'migrate' | 'terminate';

export interface StageSpec {
  name: string;
  /** Share of new sessions for the candidate, 0 (shadow) … 100. */
  trafficPercent: number;
  minDurationMs: number;
  /** Minimum candidate requests observed within the stage before it may advance. */
  minSamples: number;
  /** Only for 0 % stages: share of traffic mirrored to the candidate. */
  shadowSampleRate?: number;
  /** Reach `trafficPercent` linearly over this long from the previous stage's share (routers interpolate by time). */
  rampMs?: number;
}

/** A latency histogram as metrics.snapshot carries it (`log2-7` buckets, sparse [indexDelta, count, …]). */
export interface LatencyDistribution {
  scheme: 'log2-7';
  count: number;
  buckets: number[];
}

/** Flat per-version figures as in `metrics.snapshot`'s `versions` map (requests, errorRate, p99LatencyMs, …). */
export type Figures = Readonly<Record<string, number>>;

/** `critical`: any violation beyond `max` rolls back at once (the seed's zero tolerance); `compared`: its rate is compared with the baseline's. */
export type PolicySeverity = 'critical' | 'compared';

export interface GateThresholds {
  errorRate: { maxIncrease: number; absoluteMax: number };
  p99LatencyMs: { maxIncrease: number; absoluteMax: number };
  costPerRequest: { maxRelativeIncrease: number };
  policyViolations: {
    /** Critical violations tolerated in a stage (0: zero tolerance). */
    max: number;
    /** Per-policy severity; policies not named take `defaultSeverity`. Absent in rollouts started before severities existed. */
    severity?: Record<string, PolicySeverity>;
    defaultSeverity?: PolicySeverity;
    /** Compared policies: violating requests per request may exceed the baseline's by this much. */
    maxRateIncrease?: number;
  };
  statistics: {
    /**
     * Family-wise false-failure probability of the whole rollout: an identical candidate is rolled back with at most
     * this probability however long it runs and however often it is looked at (split evenly across stages and gates).
     */
    alpha: number;
    /** Below this many requests per version (over the stage) a limit breach is `inconclusive`, never `failed`. */
    minSamplesPerVersion: number;
  };
  /** External gates (offline evals, safety checks) that must pass before any advance. */
  external: ExternalGateSpec[];
}

export interface ExternalGateSpec {
  name: string;
  min?: number;
  max?: number;
  /** Where results come from when eval results are posted whole (a quality_gates.yaml gate). */
  source?: { metric: string } | { testSuite: string };
}

/** Deep-partial overrides accepted by StartRollout. */
export interface GateOverrides {
  errorRate?: Partial<GateThresholds['errorRate']>;
  p99LatencyMs?: Partial<GateThresholds['p99LatencyMs']>;
  costPerRequest?: Partial<GateThresholds['costPerRequest']>;
  policyViolations?: Partial<GateThresholds['policyViolations']>;
  statistics?: Partial<GateThresholds['statistics']>;
  external?: ExternalGateSpec[];
}

export interface RollbackLimits {
  /** No new rollout may start this long after an automatic rollback. */
  cooldownMs: number;
  /** Beyond this many automatic rollbacks in a rolling hour the rollout pauses instead. */
  maxAutomaticRollbacksPerHour: number;
}

export type VerdictStatus = 'passed' | 'failed' | 'inconclusive';

/** The outcome of one gate: data, not a boolean. */
export interface Verdict {
  gate: string;
  status: VerdictStatus;
  /** null when the figure was missing. */
  measured: number | null;
  limit: number;
  baseline?: number;
  /** Always-valid p-value of the gate's sequential test over the stage so far, when one ran. */
  pValue?: number;
  /** Candidate (and baseline) requests the verdict rests on: the stage so far, this window included. */
  samples?: number;
  baselineSamples?: number;
  /** The sequential evidence behind the verdict. */
  evidence?: GateEvidence;
  /** Why the verdict is inconclusive or failed, for humans. */
  note?: string;
  /** Source of the data: the metrics.snapshot event id, or `external:<commandId>`. */
  snapshotEventId: string;
}

/** How a gate weighed the stage's evidence (see docs/rollouts.md, "Gate statistics"). */
export interface GateEvidence {
  method: 'beta-binomial-confidence-sequence' | 'normal-mixture-sprt' | 'zero-tolerance';
  /** The gate's share of the rollout's alpha in this stage: it fails when the evidence reaches 1/alpha. */
  alpha: number;
  /** ln of the e-value now (0 when the estimate is within the limit). */
  logEValue?: number;
  /** Windows judged in this stage, this one included. */
  looks: number;
  /** What was tested, in words (e.g. the null value a proportion was tested against). */
  tested?: string;
}

/** What must hold before a candidate leaves shadow (configurable per rollout; all by default). */
export type ShadowExitCheck = 'shadow-min-duration' | 'shadow-min-samples' | 'external-gates' | 'fallback';
export const SHADOW_EXIT_CHECKS: readonly ShadowExitCheck[] = ['shadow-min-duration', 'shadow-min-samples', 'external-gates', 'fallback'];

export interface PreflightCheck {
  name: string;
  passed: boolean;
  detail?: string;
}

/** New sessions of these tenants / users / features go to `versionId` first (dogfooding). */
export interface Cohort {
  versionId: VersionId;
  tenants: string[];
  users: string[];
  features: string[];
}

/** Debug override: this user, session or tenant always gets `versionId`. */
export interface RouteOverride {
  kind: 'user' | 'session' | 'tenant';
  value: string;
  versionId: VersionId;
  reason?: string;
}

export interface Targeting {
  cohorts: Cohort[];
  overrides: RouteOverride[];
}

/** Linear move of one version's new-session weight between two instants; the others share the rest in proportion. */
export interface WeightRamp {
  versionId: VersionId;
  fromWeight: number;
  toWeight: number;
  startAt: IsoTimestamp;
  endAt: IsoTimestamp;
}

/** Bounds the sprawl of a rainbow fleet; crossing one moves the oldest draining version's sessions off it. */
export interface FleetPolicy {
  /** Live versions (shadow, canary, active, draining) per agent; null = unbounded. */
  maxLiveVersions: number | null;
  /** How long a version may drain before its remaining sessions are moved; null = unbounded. */
  maxSessionAgeMs: number | null;
  /** What a forced drain does to the remaining sessions. */
  onForcedDrain: 'migrate' | 'terminate';
}

/** The completed rollout in an earlier environment that allowed this one to start (environment promotion). */
export interface PromotionEvidence {
  environment: string;
  rolloutId: string;
  completedAt: IsoTimestamp;
}
