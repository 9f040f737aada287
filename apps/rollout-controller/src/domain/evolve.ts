import { IDEMPOTENCY_WINDOW } from './constants';
import { addWindow, emptyStageEvidence } from './evidence';
import { logEValuesOf } from './gates';
import type { RolloutEvent } from './events';
import { restoreBaseMix, routeStage, settleSuperseded, upsert } from './fleet';
import type { FleetVersion, Rollout, RolloutAggregateState } from './state';
import { SHADOW_EXIT_CHECKS } from './types';

/** Applies one fact. Pure and total: replaying the same events yields the same state, field for field. */
export function evolve(state: RolloutAggregateState, event: RolloutEvent): RolloutAggregateState {
  const atMs = Date.parse(event.metadata.at);
  const next = apply(rememberCommand(state, event.metadata.commandId), event, atMs);
  return next.fleet === state.fleet ? next : { ...next, fleet: stampDraining(state.fleet, next.fleet, atMs) };
}

/** Remembers when each version started draining (forced-drain bounds count from there). */
function stampDraining(before: FleetVersion[], after: FleetVersion[], atMs: number): FleetVersion[] {
  return after.map((version) => {
    const previous = before.find((v) => v.versionId === version.versionId);
    if (version.state === 'draining') {
      if (previous?.state === 'draining' && version.drainingSinceMs !== undefined) return version;
      return { ...version, drainingSinceMs: previous?.state === 'draining' ? (previous.drainingSinceMs ?? atMs) : atMs };
    }
    if (version.drainingSinceMs === undefined && version.forcedDrain === undefined) return version;
    const { drainingSinceMs: _since, forcedDrain: _forced, ...rest } = version;
    return rest;
  });
}

function apply(next: RolloutAggregateState, event: RolloutEvent, atMs: number): RolloutAggregateState {
  switch (event.type) {
    case 'RolloutStarted': {
      const d = event.data;
      const rollout: Rollout = {
        rolloutId: d.rolloutId,
        candidateVersionId: d.candidateVersionId,
        baselineVersionId: d.baselineVersionId,
        strategy: d.strategy,
        stages: d.stages,
        gates: d.gates,
        rollbackLimits: d.rollbackLimits,
        sessionPolicyOnRollback: d.sessionPolicyOnRollback,
        shadowExitChecklist: d.shadowExitChecklist ?? [...SHADOW_EXIT_CHECKS],
        baseMix: d.baseMix,
        status: 'running',
        pausedReason: null,
        startedAtMs: atMs,
        stageIndex: 0,
        stageEnteredAtMs: atMs,
        stageSamples: 0,
        stageVerdicts: [],
        evidence: emptyStageEvidence(),
        externalVerdicts: {},
      };
      return { ...next, rollout, fleet: routeStage(next.fleet, rollout, 0) };
    }
    case 'RolloutSuperseded':
      return withRollout(
        { ...next, fleet: next.rollout ? settleSuperseded(next.fleet, next.rollout.candidateVersionId) : next.fleet },
        (r) => ({ ...r, status: 'superseded', pausedReason: null }),
      );
    case 'SnapshotEvaluated': {
      const d = event.data;
      const remembered = { ...next, evaluatedSnapshotIds: bounded([...next.evaluatedSnapshotIds, d.snapshotEventId]) };
      return withRollout(remembered, (r) => {
        if (d.stageIndex !== r.stageIndex) return r;
        const evidence = d.evidence ? addWindow(r.evidence ?? emptyStageEvidence(), d.evidence, logEValuesOf(d.verdicts)) : r.evidence;
        const withEvidence = evidence === undefined ? r : { ...r, evidence };
        return d.countsForStage ? { ...withEvidence, stageSamples: r.stageSamples + d.candidateSamples, stageVerdicts: d.verdicts } : withEvidence;
      });
    }
    case 'ExternalGateRecorded':
      return withRollout(next, (r) => ({ ...r, externalVerdicts: { ...r.externalVerdicts, [event.data.verdict.gate]: event.data.verdict } }));
    case 'StageAdvanced': {
      if (!next.rollout) return next;
      const rollout: Rollout = {
        ...next.rollout,
        stageIndex: event.data.toStageIndex,
        stageEnteredAtMs: atMs,
        stageSamples: 0,
        stageVerdicts: [],
        evidence: emptyStageEvidence(),
      };
      return { ...next, rollout, fleet: routeStage(next.fleet, rollout, event.data.toStageIndex) };
    }
    case 'RolloutPaused':
      return withRollout(next, (r) => ({ ...r, status: 'paused', pausedReason: event.data.reason }));
    case 'RolloutResumed':
      return withRollout(next, (r) => ({ ...r, status: 'running', pausedReason: null }));
    case 'RolloutCompleted':
      return withRollout(next, (r) => ({ ...r, status: 'completed', pausedReason: null }));
    case 'RolledBack': {
      if (!next.rollout) return next;
      const rollout: Rollout = { ...next.rollout, status: event.data.trigger === 'abort' ? 'aborted' : 'rolled-back', pausedReason: null };
      const automaticRollbackAtMs =
        event.data.trigger === 'automatic' ? bounded([...next.automaticRollbackAtMs, atMs], 50) : next.automaticRollbackAtMs;
      return { ...next, rollout, automaticRollbackAtMs, fleet: restoreBaseMix(next.fleet, next.rollout, event.data.sessionPolicy) };
    }
    case 'VersionDrained':
      return { ...next, fleet: upsert(next.fleet, event.data.versionId, { state: 'drained', weightPpm: 0 }) };
    case 'PreflightChecked':
      return next;
    case 'FleetPolicyChanged':
      return { ...next, fleetPolicy: event.data.policy };
    case 'VersionForceDrained':
      return {
        ...next,
        fleet: upsert(next.fleet, event.data.versionId, { existingSessions: event.data.action === 'terminate' ? 'terminate' : 'migrate', forcedDrain: true }),
      };
    case 'TargetingChanged':
      return { ...next, targeting: event.data.targeting };
    case 'RoutingTableChanged':
      return { ...next, routing: { revision: event.data.revision, table: event.data.table } };
    default: {
      const unreachable: never = event;
      throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
    }
  }
}

export const evolveAll = (state: RolloutAggregateState, events: readonly RolloutEvent[]): RolloutAggregateState =>
  events.reduce(evolve, state);

function withRollout(state: RolloutAggregateState, change: (rollout: Rollout) => Rollout): RolloutAggregateState {
  return state.rollout ? { ...state, rollout: change(state.rollout) } : state;
}

function rememberCommand(state: RolloutAggregateState, commandId: string): RolloutAggregateState {
  if (state.handledCommandIds[state.handledCommandIds.length - 1] === commandId) return state;
  return { ...state, handledCommandIds: bounded([...state.handledCommandIds, commandId]) };
}

function bounded<T>(items: T[], max = IDEMPOTENCY_WINDOW): T[] {
  return items.length > max ? items.slice(items.length - max) : items;
}
