import { DEFAULT_SHADOW_SAMPLE_RATE, WEIGHT_SCALE } from './constants';
import type { BaseMixEntry } from './events';
import type { RoutingTable } from './routing-table';
import type { FleetVersion, Rollout, RolloutAggregateState } from './state';
import { isInProgress } from './state';
import type { SessionPolicy, VersionId, WeightRamp } from './types';

/** Pure fleet transitions: every routing change is computed here and nowhere else. */

/** Candidate share for a stage; the pre-rollout mix shares the rest in proportion, so no version loses its place. */
export function routeStage(fleet: FleetVersion[], rollout: Rollout, stageIndex: number): FleetVersion[] {
  const stage = rollout.stages[stageIndex]!;
  const candidateId = rollout.candidateVersionId;
  if (rollout.baseMix.length === 0) return upsert(fleet, candidateId, { state: 'active', weightPpm: WEIGHT_SCALE, shadowSampleRate: 0 });

  const candidatePpm = Math.round(stage.trafficPercent * (WEIGHT_SCALE / 100));
  let next = fleet;
  if (candidatePpm >= WEIGHT_SCALE) {
    for (const entry of rollout.baseMix) next = upsert(next, entry.versionId, { state: 'draining', weightPpm: 0, existingSessions: 'keep', shadowSampleRate: 0 });
    return upsert(next, candidateId, { state: 'active', weightPpm: WEIGHT_SCALE, existingSessions: 'keep', shadowSampleRate: 0 });
  }
  const shares = distribute(rollout.baseMix, WEIGHT_SCALE - candidatePpm);
  rollout.baseMix.forEach((entry, i) => {
    next = upsert(next, entry.versionId, { state: entry.state, weightPpm: shares[i]!, existingSessions: 'keep', shadowSampleRate: 0 });
  });
  return candidatePpm === 0
    ? upsert(next, candidateId, { state: 'shadow', weightPpm: 0, existingSessions: 'keep', shadowSampleRate: stage.shadowSampleRate ?? DEFAULT_SHADOW_SAMPLE_RATE })
    : upsert(next, candidateId, { state: 'canary', weightPpm: candidatePpm, existingSessions: 'keep', shadowSampleRate: 0 });
}

/** Rollback is a router change: the pre-rollout mix comes back, the candidate's sessions follow the policy. */
export function restoreBaseMix(fleet: FleetVersion[], rollout: Rollout, policy: SessionPolicy): FleetVersion[] {
  let next = fleet;
  for (const entry of rollout.baseMix)
    next = upsert(next, entry.versionId, { state: entry.state, weightPpm: entry.weightPpm, existingSessions: 'keep', shadowSampleRate: 0 });
  const candidate = next.find((v) => v.versionId === rollout.candidateVersionId);
  const hadSessions = candidate !== undefined && candidate.state !== 'shadow';
  return upsert(next, rollout.candidateVersionId, { ...candidateAfterRollback(policy, hadSessions), weightPpm: 0, shadowSampleRate: 0 });
}

function candidateAfterRollback(policy: SessionPolicy, hadSessions: boolean): Pick<FleetVersion, 'state' | 'existingSessions'> {
  if (!hadSessions) return { state: 'drained', existingSessions: 'keep' };
  switch (policy) {
    case 'let-finish':
      return { state: 'draining', existingSessions: 'keep' };
    case 'migrate':
      return { state: 'draining', existingSessions: 'migrate' };
    case 'terminate':
      return { state: 'killed', existingSessions: 'terminate' };
    default: {
      const unreachable: never = policy;
      throw new Error(`unknown session policy ${String(unreachable)}`);
    }
  }
}

/** A superseded shadow candidate never had sessions: it simply stops; one with a share keeps it. */
export function settleSuperseded(fleet: FleetVersion[], versionId: VersionId): FleetVersion[] {
  const version = fleet.find((v) => v.versionId === versionId);
  return version?.state === 'shadow' ? upsert(fleet, versionId, { state: 'drained', shadowSampleRate: 0 }) : fleet;
}

/** The versions that take new sessions now, with the state to restore on rollback. */
export function captureBaseMix(fleet: FleetVersion[]): BaseMixEntry[] {
  return fleet.filter((v) => v.weightPpm > 0).map((v) => ({ versionId: v.versionId, weightPpm: v.weightPpm, state: v.state }));
}

export function upsert(fleet: FleetVersion[], versionId: VersionId, patch: Partial<Omit<FleetVersion, 'versionId'>>): FleetVersion[] {
  const index = fleet.findIndex((v) => v.versionId === versionId);
  if (index === -1)
    return [...fleet, { versionId, state: 'drained', weightPpm: 0, existingSessions: 'keep', shadowSampleRate: 0, ...patch }];
  return fleet.map((v, i) => (i === index ? { ...v, ...patch } : v));
}

/** Integer split of `total` in proportion to the entries' weights (largest remainder, ties by position). */
function distribute(entries: BaseMixEntry[], total: number): number[] {
  const sum = entries.reduce((acc, e) => acc + e.weightPpm, 0);
  const exact = entries.map((e) => (total * e.weightPpm) / sum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    shares[i]! += 1;
    left -= 1;
  }
  return shares;
}

/** The table the router needs, derived from the fleet; null while nothing takes traffic. */
export function routingTableOf(state: RolloutAggregateState): RoutingTable | null {
  const routable = state.fleet.filter((v) => v.state !== 'retired');
  if (!routable.some((v) => v.weightPpm > 0)) return null;
  const rollout = state.rollout;
  const active = state.fleet.find((v) => v.state === 'active');
  const fallbackVersionId =
    isInProgress(rollout) && rollout.baselineVersionId !== null
      ? rollout.baselineVersionId
      : (active?.versionId ?? routable.reduce((a, b) => (b.weightPpm > a.weightPpm ? b : a)).versionId);
  return {
    strategy: rollout?.strategy ?? 'rainbow',
    versions: routable.map((v) => ({
      versionId: v.versionId,
      state: v.state,
      newSessionWeight: v.weightPpm / WEIGHT_SCALE,
      existingSessions: v.existingSessions,
    })),
    shadowTargets: routable.filter((v) => v.state === 'shadow').map((v) => ({ versionId: v.versionId, sampleRate: v.shadowSampleRate })),
    fallbackVersionId,
    sessionPolicy: rollout?.sessionPolicyOnRollback ?? 'let-finish',
    targeting: { ...state.targeting, ...rampOf(rollout, state.fleet) },
    epochs: [],
    ...(state.fleetPolicy.maxSessionAgeMs !== null && { maxSessionAgeMs: state.fleetPolicy.maxSessionAgeMs }),
  };
}

/** A running stage with `rampMs` moves the candidate's share linearly from the previous stage's. */
function rampOf(rollout: Rollout | null, fleet: FleetVersion[]): { ramp?: WeightRamp } {
  if (!isInProgress(rollout) || rollout.stageIndex === 0) return {};
  const stage = rollout.stages[rollout.stageIndex]!;
  const candidate = fleet.find((v) => v.versionId === rollout.candidateVersionId);
  if (!stage.rampMs || !candidate || candidate.weightPpm === 0) return {};
  return {
    ramp: {
      versionId: rollout.candidateVersionId,
      fromWeight: rollout.stages[rollout.stageIndex - 1]!.trafficPercent / 100,
      toWeight: stage.trafficPercent / 100,
      startAt: new Date(rollout.stageEnteredAtMs).toISOString(),
      endAt: new Date(rollout.stageEnteredAtMs + stage.rampMs).toISOString(),
    },
  };
}

/**
 * The table with its weight history: a new epoch whenever weights or the ramp change (bounded), in force from
 * `effectiveAt` — or from the previous epoch's, if that one is later (epochs never take effect out of order).
 */
export function withEpochs(table: RoutingTable, previous: RoutingTable | null, revision: number, effectiveAt: string): RoutingTable {
  const history = previous?.epochs ?? [];
  const weights = Object.fromEntries(table.versions.filter((v) => v.newSessionWeight > 0).map((v) => [v.versionId, v.newSessionWeight]));
  const last = history[history.length - 1];
  const ramp = table.targeting.ramp;
  const unchanged = last !== undefined && JSON.stringify(last.weights) === JSON.stringify(weights) && JSON.stringify(last.ramp) === JSON.stringify(ramp);
  if (unchanged) return { ...table, epochs: history };
  const from = last !== undefined && Date.parse(last.effectiveAt) > Date.parse(effectiveAt) ? last.effectiveAt : effectiveAt;
  return { ...table, epochs: [...history, { revision, effectiveAt: from, weights, ...(ramp && { ramp }) }].slice(-MAX_EPOCHS) };
}

/** Weight epochs kept in a table: enough to place sessions started during the last several stage changes. */
export const MAX_EPOCHS = 16;

/** Tables are compared without their history: a new revision only when routing actually changes. */
export function sameRouting(a: RoutingTable | null, b: RoutingTable | null): boolean {
  if (a === null || b === null) return a === b;
  return JSON.stringify({ ...a, epochs: [] }) === JSON.stringify({ ...b, epochs: [] });
}
