import type { BaseMixEntry } from './events';
import type { StageEvidence } from './evidence';
import type { RoutingTable } from './routing-table';
import type {
  ExistingSessions,
  FleetPolicy,
  GateThresholds,
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

export interface FleetVersion {
  versionId: VersionId;
  state: VersionState;
  /** New-session share in parts per million; the fleet's weights sum to 1 000 000 (or 0 when empty). */
  weightPpm: number;
  existingSessions: ExistingSessions;
  /** Mirrored share while the version is in `shadow`, else 0. */
  shadowSampleRate: number;
  /** When the version last started draining (event time); absent while it takes new sessions. */
  drainingSinceMs?: number;
  /** Its remaining sessions were moved off by a fleet bound. */
  forcedDrain?: boolean;
}

export type RolloutStatus = 'running' | 'paused' | 'completed' | 'rolled-back' | 'aborted' | 'superseded';

export interface Rollout {
  rolloutId: string;
  candidateVersionId: VersionId;
  /** The known-good version gates compare with; null only for a first deployment. */
  baselineVersionId: VersionId | null;
  strategy: Strategy;
  stages: StageSpec[];
  gates: GateThresholds;
  rollbackLimits: RollbackLimits;
  sessionPolicyOnRollback: SessionPolicy;
  shadowExitChecklist: ShadowExitCheck[];
  baseMix: BaseMixEntry[];
  status: RolloutStatus;
  pausedReason: string | null;
  startedAtMs: number;
  stageIndex: number;
  stageEnteredAtMs: number;
  /** Candidate requests seen in snapshots whose window lies within the current stage. */
  stageSamples: number;
  /** Verdicts of the latest snapshot that counts for the current stage. */
  stageVerdicts: Verdict[];
  /** What the gates accumulated over the current stage (absent in state rebuilt from events that predate it). */
  evidence?: StageEvidence;
  /** Latest verdict per external gate, keyed by gate name. */
  externalVerdicts: Record<string, Verdict>;
}

/** One aggregate per (environment, agent). */
export interface RolloutAggregateState {
  /** The current rollout, or the last one once it ended. */
  rollout: Rollout | null;
  /** Every version ever deployed here, in order of first appearance. */
  fleet: FleetVersion[];
  routing: { revision: number; table: RoutingTable | null };
  targeting: Targeting;
  fleetPolicy: FleetPolicy;
  automaticRollbackAtMs: number[];
  /** Bounded memory for idempotency. */
  handledCommandIds: string[];
  evaluatedSnapshotIds: string[];
}

export const initialState = (): RolloutAggregateState => ({
  rollout: null,
  fleet: [],
  routing: { revision: 0, table: null },
  targeting: { cohorts: [], overrides: [] },
  fleetPolicy: { maxLiveVersions: null, maxSessionAgeMs: null, onForcedDrain: 'migrate' },
  automaticRollbackAtMs: [],
  handledCommandIds: [],
  evaluatedSnapshotIds: [],
});

export const isInProgress = (rollout: Rollout | null): rollout is Rollout =>
  rollout !== null && (rollout.status === 'running' || rollout.status === 'paused');

export const currentStage = (rollout: Rollout): StageSpec => rollout.stages[rollout.stageIndex]!;
export const isFinalStage = (rollout: Rollout): boolean => rollout.stageIndex === rollout.stages.length - 1;
export const findVersion = (state: RolloutAggregateState, versionId: VersionId): FleetVersion | undefined =>
  state.fleet.find((v) => v.versionId === versionId);
export const activeVersion = (state: RolloutAggregateState): FleetVersion | undefined =>
  state.fleet.find((v) => v.state === 'active');
