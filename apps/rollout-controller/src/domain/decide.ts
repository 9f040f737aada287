import type {
  Advance,
  ApplyKill,
  EvaluateSnapshot,
  RecordExternalGate,
  ReportLiveSessions,
  RolloutCommand,
  StartRollout,
} from './commands';
import { DEFAULT_ROLLBACK_LIMITS, ONE_HOUR_MS } from './constants';
import {
  InvalidRolloutCommandError,
  NoActiveRolloutError,
  PreflightFailedError,
  type FailedCheck,
  RolloutConflictError,
  RolloutCooldownError,
  RolloutPausedError,
  UnknownVersionError,
} from './errors';
import type { EventMetadata, RolloutEvent, RolloutEventType } from './events';
import { evolveAll } from './evolve';
import { captureBaseMix, routingTableOf, sameRouting, withEpochs } from './fleet';
import { allPassed, evaluateExternalGate, evaluateGates, externalGateName, failedVerdicts } from './gates';
import {
  activeVersion,
  currentStage,
  findVersion,
  isFinalStage,
  isInProgress,
  type Rollout,
  type RolloutAggregateState,
} from './state';
import { toEpochMs } from './time';
import type { PreflightCheck, Verdict } from './types';
import { checkFleetPolicy, checkShadowExitChecklist, checkStrategy, checkTargeting, resolveGates, resolveRollbackLimits, resolveStages } from './validation';

type EventOf<T extends RolloutEventType> = Extract<RolloutEvent, { type: T }>;
type Emit = <T extends RolloutEventType>(type: T, data: EventOf<T>['data']) => EventOf<T>;

/**
 * decide(command, state) → events, or throws a RolloutDomainError. Pure: time comes from `command.metadata.at`.
 * A redelivered command (same commandId) yields no events. Any routing change is followed by one
 * RoutingTableChanged carrying the full table and the next revision.
 */
export function decide(command: RolloutCommand, state: RolloutAggregateState): RolloutEvent[] {
  if (state.handledCommandIds.includes(command.metadata.commandId)) return [];
  const { commandId, actor, at } = command.metadata;
  const metadata: EventMetadata = { commandId, actor, at };
  const emit: Emit = (type, data) => ({ type, data, metadata }) as EventOf<typeof type>;
  const nowMs = toEpochMs(at);
  const lifecycle = decideLifecycle(command, state, emit, nowMs);
  const forced = enforceFleetPolicy(evolveAll(state, lifecycle), emit, nowMs);
  return withRoutingChange(state, [...lifecycle, ...forced], emit, routingEffectiveAt(command));
}

/** When this command's routing change takes effect: the handler's decided time + allowance, never before `at`. */
function routingEffectiveAt(command: RolloutCommand): string {
  const { at, routingEffectiveAt: effective } = command.metadata;
  if (effective === undefined) return at;
  return toEpochMs(effective, 'routingEffectiveAt') > toEpochMs(at) ? effective : at;
}

/** A kill's candidate rollback (one story in the log: trigger `kill`, the kill id as cause) and the end of a killed drain. */
function applyKill(command: ApplyKill, state: RolloutAggregateState, emit: Emit): RolloutEvent[] {
  const { killId, reason, versionId, spareVersionId, onKill } = command.data;
  const covers = (candidate: string) => (versionId === null ? candidate !== spareVersionId : candidate === versionId);
  const events: RolloutEvent[] = [];
  const rollout = state.rollout;
  if (rollout && isInProgress(rollout) && covers(rollout.candidateVersionId)) {
    events.push(
      emit('RolledBack', {
        rolloutId: rollout.rolloutId,
        trigger: 'kill',
        killId,
        reason: `kill ${killId}: ${reason}`.slice(0, 4_096),
        verdicts: rollout.stageVerdicts,
        sessionPolicy: onKill,
        candidateVersionId: rollout.candidateVersionId,
      }),
    );
  }
  if (versionId !== null) {
    const draining = state.fleet.find((v) => v.versionId === versionId && v.state === 'draining');
    if (draining && draining.versionId !== rollout?.candidateVersionId) events.push(emit('VersionDrained', { versionId }));
  }
  return events;
}

/** Bounds crossed → the oldest draining versions' remaining sessions are moved off (each once). */
function enforceFleetPolicy(state: RolloutAggregateState, emit: Emit, nowMs: number): RolloutEvent[] {
  const { maxLiveVersions, maxSessionAgeMs, onForcedDrain: action } = state.fleetPolicy;
  const events: RolloutEvent[] = [];
  const unforced = state.fleet.filter((v) => v.state === 'draining' && !v.forcedDrain).sort((a, b) => (a.drainingSinceMs ?? 0) - (b.drainingSinceMs ?? 0));
  const forcedIds = new Set<string>();
  if (maxSessionAgeMs !== null) {
    for (const version of unforced) {
      const drainingMs = nowMs - (version.drainingSinceMs ?? nowMs);
      if (drainingMs < maxSessionAgeMs) continue;
      forcedIds.add(version.versionId);
      events.push(emit('VersionForceDrained', { versionId: version.versionId, reason: 'max-session-age', action, detail: `draining for ${drainingMs} ms; sessions may last at most ${maxSessionAgeMs} ms` }));
    }
  }
  if (maxLiveVersions !== null) {
    const live = () => state.fleet.filter((v) => LIVE_STATES.includes(v.state) && !v.forcedDrain && !forcedIds.has(v.versionId)).length;
    for (const version of unforced) {
      const count = live();
      if (count <= maxLiveVersions) break;
      if (forcedIds.has(version.versionId)) continue;
      forcedIds.add(version.versionId);
      events.push(emit('VersionForceDrained', { versionId: version.versionId, reason: 'max-live-versions', action, detail: `${count} live versions; at most ${maxLiveVersions}` }));
    }
  }
  return events;
}

const LIVE_STATES: readonly string[] = ['shadow', 'canary', 'active', 'draining'];

function decideLifecycle(command: RolloutCommand, state: RolloutAggregateState, emit: Emit, nowMs: number): RolloutEvent[] {
  switch (command.type) {
    case 'StartRollout':
      return start(command, state, emit, nowMs);
    case 'Advance':
      return advanceManually(command, state, emit, nowMs);
    case 'Pause': {
      const rollout = requireInProgress(state, command.type);
      if (rollout.status === 'paused') throw new RolloutConflictError(`rollout ${rollout.rolloutId} is already paused`);
      return [emit('RolloutPaused', { rolloutId: rollout.rolloutId, trigger: 'manual', reason: command.data.reason, verdicts: [] })];
    }
    case 'Resume': {
      const rollout = requireInProgress(state, command.type);
      if (rollout.status !== 'paused') throw new RolloutConflictError(`rollout ${rollout.rolloutId} is not paused`);
      return [emit('RolloutResumed', { rolloutId: rollout.rolloutId, reason: command.data.reason ?? 'resumed by operator' })];
    }
    case 'Promote': {
      const rollout = requireRunning(state, command.type);
      const finalIndex = rollout.stages.length - 1;
      const skip = rollout.stageIndex === finalIndex ? [] : moveTo(state, rollout, finalIndex, 'promote', command.data.reason ?? 'promoted by operator', emit, nowMs);
      return [...skip, emit('RolloutCompleted', { rolloutId: rollout.rolloutId, candidateVersionId: rollout.candidateVersionId })];
    }
    case 'Abort':
    case 'RollBack': {
      const rollout = requireInProgress(state, command.type);
      return [
        emit('RolledBack', {
          rolloutId: rollout.rolloutId,
          trigger: command.type === 'Abort' ? 'abort' : 'manual',
          reason: command.data.reason,
          verdicts: rollout.stageVerdicts,
          sessionPolicy: rollout.sessionPolicyOnRollback,
          candidateVersionId: rollout.candidateVersionId,
        }),
      ];
    }
    case 'EvaluateSnapshot':
      return evaluateSnapshot(command, state, emit, nowMs);
    case 'RecordExternalGate':
      return recordExternalGate(command, state, emit, nowMs);
    case 'Tick':
      return state.rollout?.status === 'running' ? advanceIfReady(state, emit, nowMs) : [];
    case 'ReportLiveSessions':
      return reportLiveSessions(command, state, emit);
    case 'SetFleetPolicy':
      return [emit('FleetPolicyChanged', { policy: checkFleetPolicy(command.data.policy) })];
    case 'SetTargeting':
      return [emit('TargetingChanged', { targeting: checkTargeting(command.data.targeting, state) })];
    case 'ApplyKill':
      return applyKill(command, state, emit);
    default: {
      const unreachable: never = command;
      throw new InvalidRolloutCommandError(`unknown command ${JSON.stringify(unreachable)}`);
    }
  }
}

function start(command: StartRollout, state: RolloutAggregateState, emit: Emit, nowMs: number): RolloutEvent[] {
  const d = command.data;
  const strategy = checkStrategy(d.strategy);
  if (!d.candidateVersionId) throw new InvalidRolloutCommandError('candidateVersionId is required');
  if (!['let-finish', 'migrate', 'terminate'].includes(d.sessionPolicyOnRollback))
    throw new InvalidRolloutCommandError(`unknown sessionPolicyOnRollback ${d.sessionPolicyOnRollback}`);
  const stages = resolveStages(strategy, d.stages);
  const gates = resolveGates(d.gates);
  const rollbackLimits = resolveRollbackLimits(d.rollbackLimits);
  const failedPreflight = failedChecksOf(d.preflight ?? []);
  if (failedPreflight.length > 0) throw new PreflightFailedError(failedPreflight);

  const running = state.rollout;
  const supersede: RolloutEvent[] = [];
  let fleetState = state;
  if (isInProgress(running)) {
    if (!d.supersedeRunning)
      throw new RolloutConflictError(`rollout ${running.rolloutId} of ${running.candidateVersionId} is ${running.status}; supersede it explicitly or end it first`);
    if (strategy !== 'rainbow' || running.strategy !== 'rainbow')
      throw new RolloutConflictError('only a rainbow rollout can supersede a rainbow rollout');
    if (running.candidateVersionId === d.candidateVersionId)
      throw new RolloutConflictError(`${d.candidateVersionId} is already the candidate of rollout ${running.rolloutId}`);
    supersede.push(emit('RolloutSuperseded', { rolloutId: running.rolloutId, byVersionId: d.candidateVersionId }));
    fleetState = evolveAll(state, supersede);
  }

  const limits = running?.rollbackLimits ?? DEFAULT_ROLLBACK_LIMITS;
  const lastAutomatic = state.automaticRollbackAtMs[state.automaticRollbackAtMs.length - 1];
  if (lastAutomatic !== undefined && nowMs - lastAutomatic < limits.cooldownMs)
    throw new RolloutCooldownError(limits.cooldownMs - (nowMs - lastAutomatic));

  const candidate = findVersion(fleetState, d.candidateVersionId);
  if (candidate && ['active', 'canary', 'shadow'].includes(candidate.state))
    throw new RolloutConflictError(`${d.candidateVersionId} is already live as ${candidate.state}`);

  const active = activeVersion(fleetState);
  if (d.baselineVersionId !== undefined && active && active.versionId !== d.baselineVersionId)
    throw new InvalidRolloutCommandError(`baseline must be the active version ${active.versionId}, not ${d.baselineVersionId}`);
  const baselineVersionId = active?.versionId ?? d.baselineVersionId ?? null;
  if (baselineVersionId === d.candidateVersionId) throw new InvalidRolloutCommandError('candidate and baseline must differ');

  if (strategy === 'canary') {
    const others = fleetState.fleet.filter(
      (v) => v.versionId !== baselineVersionId && v.versionId !== d.candidateVersionId && ['canary', 'shadow', 'draining'].includes(v.state),
    );
    if (others.length > 0)
      throw new RolloutConflictError(`canary allows two live versions; still live: ${others.map((v) => v.versionId).join(', ')}`);
  }

  const baseMix = captureBaseMix(fleetState.fleet);
  if (baseMix.length === 0 && baselineVersionId !== null) baseMix.push({ versionId: baselineVersionId, weightPpm: 1_000_000, state: 'active' });

  const rolloutId = d.rolloutId ?? command.metadata.commandId;
  const started = emit('RolloutStarted', {
    rolloutId,
    candidateVersionId: d.candidateVersionId,
    baselineVersionId,
    strategy,
    stages,
    gates,
    rollbackLimits,
    sessionPolicyOnRollback: d.sessionPolicyOnRollback,
    preflight: (d.preflight ?? []).map((c) => ({ ...c })),
    shadowExitChecklist: checkShadowExitChecklist(d.shadowExitChecklist),
    ...(d.promotedFrom && { promotedFrom: { ...d.promotedFrom } }),
    baseMix,
  });
  // First deployment: nothing to compare with or to drain, the candidate takes all traffic at once.
  const bootstrap = baseMix.length === 0 ? [emit('RolloutCompleted', { rolloutId, candidateVersionId: d.candidateVersionId })] : [];
  return [...supersede, started, ...bootstrap];
}

function advanceManually(command: Advance, state: RolloutAggregateState, emit: Emit, nowMs: number): RolloutEvent[] {
  const rollout = requireRunning(state, command.type);
  const reason = command.data.reason ?? 'advanced by operator';
  return isFinalStage(rollout)
    ? [emit('RolloutCompleted', { rolloutId: rollout.rolloutId, candidateVersionId: rollout.candidateVersionId })]
    : moveTo(state, rollout, rollout.stageIndex + 1, 'manual', reason, emit, nowMs);
}

function evaluateSnapshot(command: EvaluateSnapshot, state: RolloutAggregateState, emit: Emit, nowMs: number): RolloutEvent[] {
  const rollout = requireInProgress(state, command.type);
  const d = command.data;
  if (!d.snapshotEventId) throw new InvalidRolloutCommandError('snapshotEventId is required');
  const windowStartMs = toEpochMs(d.windowStart, 'windowStart');
  const windowEndMs = toEpochMs(d.windowEnd, 'windowEnd');
  if (windowEndMs < windowStartMs) throw new InvalidRolloutCommandError('windowEnd is before windowStart');
  if (state.evaluatedSnapshotIds.includes(d.snapshotEventId)) return [];
  if (windowEndMs <= rollout.startedAtMs) return []; // data from before this rollout says nothing about it

  const stage = currentStage(rollout);
  const baselineId = rollout.baselineVersionId;
  const candidate = d.versions[rollout.candidateVersionId];
  const { verdicts, window } = evaluateGates({
    candidate,
    candidateLatency: d.latency?.[rollout.candidateVersionId],
    baseline: baselineId === null ? undefined : d.versions[baselineId],
    baselineLatency: baselineId === null ? undefined : d.latency?.[baselineId],
    compareToBaseline: stage.trafficPercent < 100 && baselineId !== null,
    thresholds: rollout.gates,
    snapshotEventId: d.snapshotEventId,
    stage: rollout.evidence,
    stageIndex: rollout.stageIndex,
    stageCount: rollout.stages.length,
  });
  const evaluated = emit('SnapshotEvaluated', {
    rolloutId: rollout.rolloutId,
    snapshotEventId: d.snapshotEventId,
    windowStart: d.windowStart,
    windowEnd: d.windowEnd,
    stageIndex: rollout.stageIndex,
    countsForStage: windowStartMs >= rollout.stageEnteredAtMs,
    candidateSamples: Math.max(0, Math.floor(candidate?.['requests'] ?? 0)),
    verdicts,
    evidence: window,
  });
  return [evaluated, ...reactToVerdicts(evolveAll(state, [evaluated]), verdicts, emit, nowMs)];
}

function recordExternalGate(command: RecordExternalGate, state: RolloutAggregateState, emit: Emit, nowMs: number): RolloutEvent[] {
  const rollout = requireInProgress(state, command.type);
  const { name, value, passed } = command.data;
  if (!name || !Number.isFinite(value)) throw new InvalidRolloutCommandError('external gate needs a name and a finite value');
  const spec = rollout.gates.external.find((g) => g.name === name);
  const verdict = evaluateExternalGate(name, value, passed, spec, `external:${command.metadata.commandId}`);
  const recorded = emit('ExternalGateRecorded', { rolloutId: rollout.rolloutId, verdict });
  return [recorded, ...reactToVerdicts(evolveAll(state, [recorded]), [verdict], emit, nowMs)];
}

/** A running rollout rolls back on a failed gate (within limits), else advances once ready. Paused: record only. */
function reactToVerdicts(state: RolloutAggregateState, verdicts: Verdict[], emit: Emit, nowMs: number): RolloutEvent[] {
  const rollout = state.rollout;
  if (rollout?.status !== 'running') return [];
  const failed = failedVerdicts(verdicts);
  return failed.length > 0 ? rollBackAutomatically(state, rollout, failed, emit, nowMs) : advanceIfReady(state, emit, nowMs);
}

function rollBackAutomatically(
  state: RolloutAggregateState,
  rollout: Rollout,
  failed: Verdict[],
  emit: Emit,
  nowMs: number,
): RolloutEvent[] {
  const gates = failed.map((v) => v.gate).join(', ');
  const max = rollout.rollbackLimits.maxAutomaticRollbacksPerHour;
  const lastHour = state.automaticRollbackAtMs.filter((t) => nowMs - t < ONE_HOUR_MS).length;
  if (lastHour >= max)
    return [
      emit('RolloutPaused', {
        rolloutId: rollout.rolloutId,
        trigger: 'automatic-rollback-limit',
        reason: `gates failed (${gates}) but ${lastHour} automatic rollbacks happened in the last hour (limit ${max}); paused for a human decision`,
        verdicts: failed,
      }),
    ];
  return [
    emit('RolledBack', {
      rolloutId: rollout.rolloutId,
      trigger: 'automatic',
      reason: `gates failed: ${gates}`,
      verdicts: failed,
      sessionPolicy: rollout.sessionPolicyOnRollback,
      candidateVersionId: rollout.candidateVersionId,
    }),
  ];
}

/** Advance only on evidence: min duration elapsed, enough samples, every gate passed. Silence holds. */
function advanceIfReady(state: RolloutAggregateState, emit: Emit, nowMs: number): RolloutEvent[] {
  const rollout = state.rollout;
  if (rollout?.status !== 'running') return [];
  const stage = currentStage(rollout);
  const externalPassed = rollout.gates.external.every((g) => rollout.externalVerdicts[externalGateName(g.name)]?.status === 'passed');
  const ready =
    nowMs - rollout.stageEnteredAtMs >= stage.minDurationMs &&
    rollout.stageSamples >= stage.minSamples &&
    allPassed(rollout.stageVerdicts) &&
    externalPassed;
  if (!ready) return [];
  if (isFinalStage(rollout))
    return [emit('RolloutCompleted', { rolloutId: rollout.rolloutId, candidateVersionId: rollout.candidateVersionId })];
  return moveTo(state, rollout, rollout.stageIndex + 1, 'automatic', `stage ${stage.name}: duration, samples and gates met`, emit, nowMs);
}

/**
 * Moves to a later stage; leaving shadow first runs the checklist, and a failed item blocks the move. An automatic
 * move records the blocked check (the audit trail says why the rollout waits); an operator's move is refused with the
 * failed items and nothing is appended (one request, one decision).
 */
function moveTo(
  state: RolloutAggregateState,
  rollout: Rollout,
  toStageIndex: number,
  trigger: 'automatic' | 'manual' | 'promote',
  reason: string,
  emit: Emit,
  nowMs: number,
): RolloutEvent[] {
  const leavesShadow = currentStage(rollout).trafficPercent === 0 && rollout.stages[toStageIndex]!.trafficPercent > 0;
  if (!leavesShadow || rollout.shadowExitChecklist.length === 0) return [advanceTo(emit, rollout, toStageIndex, trigger, reason)];
  const items = shadowExitChecks(state, rollout, nowMs);
  const passed = items.every((item) => item.passed);
  if (!passed && trigger !== 'automatic') throw new PreflightFailedError(failedChecksOf(items), 'the candidate may not leave shadow yet');
  const checked = emit('PreflightChecked', { rolloutId: rollout.rolloutId, passed, items, trigger });
  return passed ? [checked, advanceTo(emit, rollout, toStageIndex, trigger, reason)] : [checked];
}

const failedChecksOf = (items: readonly PreflightCheck[]): FailedCheck[] =>
  items.filter((item) => !item.passed).map((item) => ({ name: item.name, passed: false, ...(item.detail === undefined ? {} : { detail: item.detail }) }));

function shadowExitChecks(state: RolloutAggregateState, rollout: Rollout, nowMs: number): PreflightCheck[] {
  const stage = currentStage(rollout);
  return rollout.shadowExitChecklist.map((name): PreflightCheck => {
    switch (name) {
      case 'shadow-min-duration': {
        const ranMs = nowMs - rollout.stageEnteredAtMs;
        return { name, passed: ranMs >= stage.minDurationMs, detail: `shadow ran ${ranMs} ms of ${stage.minDurationMs} ms` };
      }
      case 'shadow-min-samples':
        return { name, passed: rollout.stageSamples >= stage.minSamples, detail: `${rollout.stageSamples} of ${stage.minSamples} samples` };
      case 'external-gates': {
        const missing = rollout.gates.external.filter((g) => rollout.externalVerdicts[externalGateName(g.name)]?.status !== 'passed').map((g) => g.name);
        return { name, passed: missing.length === 0, detail: missing.length === 0 ? `${rollout.gates.external.length} passed` : `not passed: ${missing.join(', ')}` };
      }
      case 'fallback': {
        const fallback = rollout.baselineVersionId === null ? undefined : findVersion(state, rollout.baselineVersionId);
        const ok = fallback !== undefined && fallback.weightPpm > 0;
        return { name, passed: ok, detail: ok ? `fallback ${fallback.versionId}` : 'no live baseline to fall back to' };
      }
      default: {
        const unreachable: never = name;
        throw new InvalidRolloutCommandError(`unknown shadow exit check ${String(unreachable)}`);
      }
    }
  });
}

function reportLiveSessions(command: ReportLiveSessions, state: RolloutAggregateState, emit: Emit): RolloutEvent[] {
  const { versionId, liveSessions } = command.data;
  if (!Number.isInteger(liveSessions) || liveSessions < 0) throw new InvalidRolloutCommandError('liveSessions must be an integer ≥ 0');
  const version = findVersion(state, versionId);
  if (!version) throw new UnknownVersionError(versionId);
  return version.state === 'draining' && liveSessions === 0 ? [emit('VersionDrained', { versionId })] : [];
}

function advanceTo(emit: Emit, rollout: Rollout, toStageIndex: number, trigger: 'automatic' | 'manual' | 'promote', reason: string) {
  return emit('StageAdvanced', {
    rolloutId: rollout.rolloutId,
    fromStageIndex: rollout.stageIndex,
    toStageIndex,
    stage: rollout.stages[toStageIndex]!,
    trigger,
    reason,
  });
}

/** Events that change nothing the routing table is made of (the common case: a judged window), so no table is rebuilt. */
const ROUTING_NEUTRAL: ReadonlySet<RolloutEventType> = new Set(['SnapshotEvaluated', 'ExternalGateRecorded', 'PreflightChecked']);

/** Appends RoutingTableChanged when the events change what the router must do; new weights take effect at `effectiveAt`. */
function withRoutingChange(state: RolloutAggregateState, events: RolloutEvent[], emit: Emit, effectiveAt: string): RolloutEvent[] {
  if (events.every((e) => ROUTING_NEUTRAL.has(e.type))) return events;
  const after = evolveAll(state, events);
  const table = routingTableOf(after);
  if (table === null || sameRouting(table, state.routing.table)) return events;
  const revision = state.routing.revision + 1;
  return [
    ...events,
    emit('RoutingTableChanged', {
      revision,
      table: withEpochs(table, state.routing.table, revision, effectiveAt),
      rolloutId: after.rollout?.rolloutId ?? null,
      reason: events.map((e) => e.type).join(', '),
    }),
  ];
}

function requireInProgress(state: RolloutAggregateState, command: string): Rollout {
  if (!isInProgress(state.rollout)) throw new NoActiveRolloutError(command);
  return state.rollout;
}

function requireRunning(state: RolloutAggregateState, command: string): Rollout {
  const rollout = requireInProgress(state, command);
  if (rollout.status === 'paused') throw new RolloutPausedError(command, rollout.pausedReason ?? 'paused');
  return rollout;
}
