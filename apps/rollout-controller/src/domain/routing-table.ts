import type { ExistingSessions, SessionPolicy, VersionId, VersionState } from './types';

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

/** The full routing table the router applies; always published whole, never as a diff. */
export interface RoutingTable {
  versions: RouteVersion[];
  shadowTargets: ShadowTarget[];
  fallbackVersionId: VersionId;
  /** What happens to the candidate's sessions if the current rollout is rolled back. */
  sessionPolicy: SessionPolicy;
}
