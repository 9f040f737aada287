import type {
  FleetPolicy,
  PromotionEvidence,
  Figures,
  LatencyDistribution,
  GateOverrides,
  IsoTimestamp,
  PreflightCheck,
  RollbackLimits,
  SessionPolicy,
  ShadowExitCheck,
  StageSpec,
  Strategy,
  Targeting,
  VersionId,
} from './types';

/** Every command says who asked, when, and carries an id for idempotent redelivery. */
export interface CommandMetadata {
  commandId: string;
  actor: string;
  at: IsoTimestamp;
  /**
   * When a routing change this command makes takes effect on every SDK instance: set by the command handler to
   * the time it decides (just before the append) plus the propagation allowance, so that no instance has placed
   * a session under the new weights' time yet when it receives them. Without it, `at` (which may lie in the past:
   * a metrics window's end). Not stored: the table's epochs carry it.
   */
  routingEffectiveAt?: IsoTimestamp;
}

type Command<Type extends string, Data> = Readonly<{ type: Type; data: Data; metadata: CommandMetadata }>;

export type StartRollout = Command<
  'StartRollout',
  {
    candidateVersionId: VersionId;
    /** Defaults to the fleet's active version; required when the fleet is empty to adopt an existing deployment. */
    baselineVersionId?: VersionId;
    strategy: Strategy;
    stages?: StageSpec[];
    gates?: GateOverrides;
    rollbackLimits?: Partial<RollbackLimits>;
    sessionPolicyOnRollback: SessionPolicy;
    preflight?: PreflightCheck[];
    /** Checked when the candidate leaves shadow (default: all). */
    shadowExitChecklist?: ShadowExitCheck[];
    /** Rainbow only: explicitly supersede a running rollout; its candidate keeps its current share. */
    supersedeRunning?: boolean;
    /** Defaults to the command id. */
    rolloutId?: string;
    /** Set by the shell when a promotion rule applies: where the version already completed a rollout. */
    promotedFrom?: PromotionEvidence;
  }
>;
export type Advance = Command<'Advance', { reason?: string }>;
export type Pause = Command<'Pause', { reason: string }>;
export type Resume = Command<'Resume', { reason?: string }>;
/** Skip straight to 100 % and complete. */
export type Promote = Command<'Promote', { reason?: string }>;
/** Stop the rollout, restore the pre-rollout routing. */
export type Abort = Command<'Abort', { reason: string }>;
export type RollBack = Command<'RollBack', { reason: string }>;
export type EvaluateSnapshot = Command<
  'EvaluateSnapshot',
  {
    snapshotEventId: string;
    windowStart: IsoTimestamp;
    windowEnd: IsoTimestamp;
    /** versionId → flat figures (requests, errorRate, p99LatencyMs, costPerRequest, policyViolations, …). */
    versions: Readonly<Record<VersionId, Figures>>;
    /** versionId → latency histogram, when the aggregator sent one (tail tests for the p99 gates). */
    latency?: Readonly<Record<VersionId, LatencyDistribution>>;
  }
>;
export type RecordExternalGate = Command<'RecordExternalGate', { name: string; value: number; passed?: boolean }>;
/** Scheduled clock signal; its time is `metadata.at`. */
export type Tick = Command<'Tick', Record<string, never>>;
/** Replaces the agent's targeting rules (cohorts that get a version first, debug overrides). */
export type SetTargeting = Command<'SetTargeting', { targeting: Targeting }>;
/** Sets the agent's fleet bounds (maximum live versions, maximum session age) and what a forced drain does. */
export type SetFleetPolicy = Command<'SetFleetPolicy', { policy: FleetPolicy }>;
export type ReportLiveSessions = Command<'ReportLiveSessions', { versionId: VersionId; liveSessions: number }>;
/**
 * A kill of the kill switch that switches off, for every tenant and feature of this agent, `versionId` — or, when it
 * is null (a whole-agent or global kill), every version but the agent's fallback `spareVersionId`. A running rollout
 * whose candidate it covers is rolled back (trigger `kill`, the kill as cause); a draining version it names is drained.
 */
export type ApplyKill = Command<'ApplyKill', { killId: string; reason: string; versionId: VersionId | null; spareVersionId?: VersionId; onKill: 'migrate' | 'terminate' }>;

export type RolloutCommand =
  | StartRollout
  | Advance
  | Pause
  | Resume
  | Promote
  | Abort
  | RollBack
  | EvaluateSnapshot
  | RecordExternalGate
  | Tick
  | ReportLiveSessions
  | SetTargeting
  | SetFleetPolicy
  | ApplyKill;

export type RolloutCommandType = RolloutCommand['type'];
