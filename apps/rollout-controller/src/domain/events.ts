import type { WindowEvidence } from './evidence';
import type { RoutingTable } from './routing-table';
import type {
  FleetPolicy,
  PromotionEvidence,
  GateThresholds,
  IsoTimestamp,
  PreflightCheck,
  RollbackLimits,
  SessionPolicy,
  ShadowExitCheck,
  StageSpec,
  Strategy,
  Targeting,
  Verdict,
  VersionId,
  VersionState,
} from './types';

/** Copied from the command that caused the event: replay needs no clock. */
export interface EventMetadata {
  commandId: string;
  actor: string;
  at: IsoTimestamp;
}

type DomainEvent<Type extends string, Data> = Readonly<{ type: Type; data: Data; metadata: EventMetadata }>;

/** A version that took new sessions before the rollout, with the share and state to restore on rollback. */
export interface BaseMixEntry {
  versionId: VersionId;
  weightPpm: number;
  state: VersionState;
}

export type RolloutStarted = DomainEvent<
  'RolloutStarted',
  {
    rolloutId: string;
    candidateVersionId: VersionId;
    baselineVersionId: VersionId | null;
    strategy: Strategy;
    stages: StageSpec[];
    gates: GateThresholds;
    rollbackLimits: RollbackLimits;
    sessionPolicyOnRollback: SessionPolicy;
    preflight: PreflightCheck[];
    /** Absent in events written before the checklist existed: all checks apply. */
    shadowExitChecklist?: ShadowExitCheck[];
    promotedFrom?: PromotionEvidence;
    baseMix: BaseMixEntry[];
  }
>;
export type RolloutSuperseded = DomainEvent<'RolloutSuperseded', { rolloutId: string; byVersionId: VersionId }>;
export type SnapshotEvaluated = DomainEvent<
  'SnapshotEvaluated',
  {
    rolloutId: string;
    snapshotEventId: string;
    windowStart: IsoTimestamp;
    windowEnd: IsoTimestamp;
    stageIndex: number;
    /** False when the window began before the stage: it can fail a gate but not count towards advancing. */
    countsForStage: boolean;
    candidateSamples: number;
    verdicts: Verdict[];
    /** The window's contribution to the stage's sequential evidence; absent in events written before it existed. */
    evidence?: WindowEvidence;
  }
>;
export type ExternalGateRecorded = DomainEvent<'ExternalGateRecorded', { rolloutId: string; verdict: Verdict }>;
export type StageAdvanced = DomainEvent<
  'StageAdvanced',
  {
    rolloutId: string;
    fromStageIndex: number;
    toStageIndex: number;
    stage: StageSpec;
    trigger: 'automatic' | 'manual' | 'promote';
    reason: string;
  }
>;
export type RolloutPaused = DomainEvent<
  'RolloutPaused',
  { rolloutId: string; trigger: 'manual' | 'automatic-rollback-limit'; reason: string; verdicts: Verdict[] }
>;
export type RolloutResumed = DomainEvent<'RolloutResumed', { rolloutId: string; reason: string }>;
export type RolloutCompleted = DomainEvent<'RolloutCompleted', { rolloutId: string; candidateVersionId: VersionId }>;
export type RolledBack = DomainEvent<
  'RolledBack',
  {
    rolloutId: string;
    trigger: 'automatic' | 'manual' | 'abort' | 'kill';
    reason: string;
    /** trigger `kill`: the kill of the kill switch that caused it. */
    killId?: string;
    verdicts: Verdict[];
    sessionPolicy: SessionPolicy;
    candidateVersionId: VersionId;
  }
>;
export type VersionDrained = DomainEvent<'VersionDrained', { versionId: VersionId }>;
/** The checklist run as the candidate leaves shadow; a failed item blocks the move and is named. */
export type PreflightChecked = DomainEvent<
  'PreflightChecked',
  { rolloutId: string; passed: boolean; items: PreflightCheck[]; trigger: 'automatic' | 'manual' | 'promote' }
>;
export type FleetPolicyChanged = DomainEvent<'FleetPolicyChanged', { policy: FleetPolicy }>;
/** A fleet bound was crossed: the version's remaining sessions are migrated or ended, and the event says why. */
export type VersionForceDrained = DomainEvent<
  'VersionForceDrained',
  { versionId: VersionId; reason: 'max-session-age' | 'max-live-versions'; action: 'migrate' | 'terminate'; detail: string }
>;
export type TargetingChanged = DomainEvent<'TargetingChanged', { targeting: Targeting }>;
export type RoutingTableChanged = DomainEvent<
  'RoutingTableChanged',
  { revision: number; table: RoutingTable; rolloutId: string | null; reason: string }
>;

export type RolloutEvent =
  | RolloutStarted
  | RolloutSuperseded
  | SnapshotEvaluated
  | ExternalGateRecorded
  | StageAdvanced
  | RolloutPaused
  | RolloutResumed
  | RolloutCompleted
  | RolledBack
  | VersionDrained
  | PreflightChecked
  | FleetPolicyChanged
  | VersionForceDrained
  | TargetingChanged
  | RoutingTableChanged;

export type RolloutEventType = RolloutEvent['type'];
