import type { ExistingSessions, IsoTimestamp, SessionPolicy, Strategy, Targeting, VersionId, VersionState, WeightRamp } from './types';

export interface RouteVersion {
  versionId: VersionId;
  state: VersionState;
  /** Share of new sessions; the weights of a table sum to 1. */
  newSessionWeight: number;
  existingSessions: ExistingSessions;
}

export interface ShadowTarget {
  versionId: VersionId;
  sampleRate: number;
}

/** The weights in force from `effectiveAt`: lets any router instance place a session by when it started. */
export interface WeightEpoch {
  revision: number;
  effectiveAt: IsoTimestamp;
  weights: Record<VersionId, number>;
  ramp?: WeightRamp;
}

/** The full routing table the router applies; always published whole, never as a diff. */
export interface RoutingTable {
  strategy: Strategy;
  versions: RouteVersion[];
  shadowTargets: ShadowTarget[];
  fallbackVersionId: VersionId;
  /** What happens to the candidate's sessions if the current rollout is rolled back. */
  sessionPolicy: SessionPolicy;
  targeting: Targeting & { ramp?: WeightRamp };
  /** Recent weight epochs, oldest first; the last one is in force now. */
  epochs: WeightEpoch[];
  /** From the fleet policy: routers move sessions older than this off draining versions. */
  maxSessionAgeMs?: number;
}
