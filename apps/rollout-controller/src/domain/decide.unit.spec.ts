import {
  InvalidRolloutCommandError,
  NoActiveRolloutError,
  PreflightFailedError,
  RolloutConflictError,
  RolloutCooldownError,
  RolloutErrorCode,
  RolloutPausedError,
  UnknownVersionError,
} from './errors';
import { DEFAULT_PROGRESSIVE_STAGES } from './constants';
import { given, history } from './testing/decider-specification';
import {
  abort,
  advance,
  at,
  externalGate,
  healthySnapshot,
  liveSessions,
  pause,
  promote,
  resume,
  rollBack,
  SHORT_STAGES,
  snapshot,
  start,
  tick,
  HEALTHY,
} from './testing/builders';

const meta = (minutes: number, commandId: string) => ({ commandId, actor: 'test@iris', at: at(minutes) });
const started = () => history(start(0));
const inCanary = () => history(start(0), healthySnapshot(10, 0));
const BROKEN = { errorRate: 0.3 };

describe('StartRollout', () => {
  it('starts in shadow and publishes the first routing table', () => {
    given([])
      .when(start(0, {}, 'c1'))
      .then([
        {
          type: 'RolloutStarted',
          data: {
            rolloutId: 'c1',
            candidateVersionId: 'v2',
            baselineVersionId: 'v1',
            strategy: 'rainbow',
            stages: SHORT_STAGES,
            gates: expect.objectContaining({ errorRate: { maxIncrease: 0.05, absoluteMax: 0.1 } }),
            rollbackLimits: { cooldownMs: 300_000, maxAutomaticRollbacksPerHour: 3 },
            sessionPolicyOnRollback: 'let-finish',
            preflight: [],
            shadowExitChecklist: [],
            baseMix: [{ versionId: 'v1', weightPpm: 1_000_000, state: 'active' }],
          },
          metadata: meta(0, 'c1'),
        } as never,
        {
          type: 'RoutingTableChanged',
          data: {
            revision: 1,
            rolloutId: 'c1',
            reason: 'RolloutStarted',
            table: {
              strategy: 'rainbow',
              versions: [
                { versionId: 'v1', state: 'active', newSessionWeight: 1, existingSessions: 'keep' },
                { versionId: 'v2', state: 'shadow', newSessionWeight: 0, existingSessions: 'keep' },
              ],
              shadowTargets: [{ versionId: 'v2', sampleRate: 0.5 }],
              fallbackVersionId: 'v1',
              sessionPolicy: 'let-finish',
              targeting: { cohorts: [], overrides: [] },
              epochs: [{ revision: 1, effectiveAt: meta(0, 'c1').at, weights: { v1: 1 } }],
            },
          },
          metadata: meta(0, 'c1'),
        },
      ]);
  });

  it('uses the seed stages by default: shadow → 1 → 5 → 25 → 50 → 100 %', () => {
    const [startedEvent] = given([]).when(start(0, { stages: undefined })).thenMatches([{ type: 'RolloutStarted' }, { type: 'RoutingTableChanged' }]);
    expect(startedEvent!.type === 'RolloutStarted' && startedEvent.data.stages.map((s) => s.trafficPercent)).toEqual([0, 1, 5, 25, 50, 100]);
    expect(DEFAULT_PROGRESSIVE_STAGES.every((s) => s.minDurationMs > 0 && s.minSamples > 0)).toBe(true);
  });

  it('blue-green defaults to shadow then an atomic cutover', () => {
    const [startedEvent] = given([]).when(start(0, { stages: undefined, strategy: 'blue-green' })).thenMatches([{}, {}]);
    expect(startedEvent!.type === 'RolloutStarted' && startedEvent.data.stages.map((s) => s.trafficPercent)).toEqual([0, 100]);
  });

  it('a first deployment without baseline takes all traffic at once', () => {
    given([])
      .when(start(0, { baselineVersionId: undefined }))
      .thenMatches([
        { type: 'RolloutStarted', data: { baselineVersionId: null, baseMix: [] } },
        { type: 'RolloutCompleted' },
        { type: 'RoutingTableChanged', data: { table: { versions: [{ versionId: 'v2', state: 'active', newSessionWeight: 1 }], fallbackVersionId: 'v2' } } },
      ]);
  });

  it('refuses a second start while one is running: 409-like RolloutConflictError', () => {
    given(started()).when(start(1, { candidateVersionId: 'v3' })).thenThrows(RolloutConflictError, RolloutErrorCode.Conflict);
    given(history(start(0), pause(1))).when(start(2, { candidateVersionId: 'v3' })).thenThrows(RolloutConflictError);
  });

  it('rejects invalid settings with typed errors', () => {
    given([]).when(start(0, { candidateVersionId: 'v1' })).thenThrows(InvalidRolloutCommandError, RolloutErrorCode.InvalidCommand);
    given([]).when(start(0, { stages: [{ name: 'x', trafficPercent: 50, minDurationMs: 0, minSamples: 0 }] })).thenThrows(InvalidRolloutCommandError);
    given([]).when(start(0, { stages: [...SHORT_STAGES].reverse() })).thenThrows(InvalidRolloutCommandError);
    given([]).when(start(0, { gates: { statistics: { alpha: 2 } } })).thenThrows(InvalidRolloutCommandError);
    given([]).when(start(0, { strategy: 'big-bang' as never })).thenThrows(InvalidRolloutCommandError);
    given([]).when({ ...start(0), metadata: { commandId: 'x', actor: 'a', at: 'yesterday' } }).thenThrows(InvalidRolloutCommandError);
    given(history(start(0), promote(1))).when(start(2, { candidateVersionId: 'v3', baselineVersionId: 'v1' })).thenThrows(InvalidRolloutCommandError);
  });

  it('refuses a failed preflight', () => {
    given([])
      .when(start(0, { preflight: [{ name: 'offline-evals', passed: true }, { name: 'safety', passed: false }] }))
      .thenThrows(PreflightFailedError, RolloutErrorCode.PreflightFailed);
  });

  it('refuses a candidate that is already live', () => {
    given(history(start(0), promote(1))).when(start(2, { candidateVersionId: 'v2', baselineVersionId: undefined })).thenThrows(RolloutConflictError);
  });

  it('refuses to start within the cooldown after an automatic rollback, accepts after it', () => {
    const rolledBack = history(start(0), healthySnapshot(5, 0, BROKEN));
    expect(rolledBack.map((e) => e.type)).toContain('RolledBack');
    given(rolledBack).when(start(6, { candidateVersionId: 'v3' })).thenThrows(RolloutCooldownError, RolloutErrorCode.Cooldown);
    given(rolledBack).when(start(11, { candidateVersionId: 'v3' })).thenMatches([{ type: 'RolloutStarted' }, { type: 'RoutingTableChanged' }]);
  });
});

describe('automatic advance', () => {
  it('advances when duration, samples and gates are met', () => {
    given(started())
      .when(healthySnapshot(10, 0))
      .thenMatches([
        { type: 'SnapshotEvaluated', data: { countsForStage: true, candidateSamples: 1000, stageIndex: 0 } },
        { type: 'StageAdvanced', data: { fromStageIndex: 0, toStageIndex: 1, trigger: 'automatic' } },
        {
          type: 'RoutingTableChanged',
          data: {
            revision: 2,
            table: {
              versions: [
                { versionId: 'v1', state: 'active', newSessionWeight: 0.9 },
                { versionId: 'v2', state: 'canary', newSessionWeight: 0.1 },
              ],
              shadowTargets: [],
            },
          },
        },
      ]);
  });

  it('holds on too few samples (never advances on silence)', () => {
    given(started()).when(healthySnapshot(10, 0, { requests: 20 })).thenMatches([{ type: 'SnapshotEvaluated' }]);
    given(started()).when(tick(60)).thenNothing();
  });

  it('holds until the minimum duration, then a Tick advances', () => {
    const early = history(start(0), healthySnapshot(5, 0));
    expect(early.map((e) => e.type)).toEqual(['RolloutStarted', 'RoutingTableChanged', 'SnapshotEvaluated']);
    given(early).when(tick(9)).thenNothing();
    given(early).when(tick(10)).thenMatches([{ type: 'StageAdvanced' }, { type: 'RoutingTableChanged' }]);
  });

  it('holds on inconclusive verdicts (figures missing)', () => {
    given(started()).when(snapshot(10, 0, { v2: { requests: 1000 } })).thenMatches([{ type: 'SnapshotEvaluated' }]);
  });

  it('a window straddling the stage start can fail a gate but does not count for advancing', () => {
    given(inCanary())
      .when(healthySnapshot(25, 5))
      .thenMatches([{ type: 'SnapshotEvaluated', data: { countsForStage: false } }]);
  });

  it('at 100 % the old version drains; completion moves the fallback to the candidate', () => {
    const atFull = history(start(0), healthySnapshot(10, 0), healthySnapshot(20, 10));
    const last = atFull[atFull.length - 1]!;
    expect(last).toMatchObject({
      type: 'RoutingTableChanged',
      data: { table: { versions: [{ versionId: 'v1', state: 'draining', newSessionWeight: 0 }, { versionId: 'v2', state: 'active', newSessionWeight: 1 }], fallbackVersionId: 'v1' } },
    });
    given(atFull)
      .when(snapshot(30, 20, { v2: HEALTHY }))
      .thenMatches([
        { type: 'SnapshotEvaluated' },
        { type: 'RolloutCompleted', data: { candidateVersionId: 'v2' } },
        { type: 'RoutingTableChanged', data: { revision: 4, table: { fallbackVersionId: 'v2' } } },
      ]);
  });

  it('ignores a snapshot seen before and one that ended before the rollout started', () => {
    const seen = history(start(0), snapshot(5, 0, { v2: HEALTHY }, 'snap-a'));
    given(seen).when(snapshot(6, 1, { v2: HEALTHY }, 'snap-a')).thenNothing();
    given(history(start(10))).when(snapshot(5, -5, { v2: HEALTHY }, 'old')).thenNothing();
  });

  it('rejects a window that ends before it starts, and EvaluateSnapshot without a rollout', () => {
    given(started()).when(snapshot(1, 5, { v2: HEALTHY })).thenThrows(InvalidRolloutCommandError);
    given([]).when(healthySnapshot(1, 0)).thenThrows(NoActiveRolloutError, RolloutErrorCode.NoActiveRollout);
  });
});

describe('automatic rollback', () => {
  it('rolls back on a failed gate with the verdicts and the session policy', () => {
    given(inCanary())
      .when(healthySnapshot(15, 10, BROKEN))
      .thenMatches([
        { type: 'SnapshotEvaluated' },
        {
          type: 'RolledBack',
          data: {
            trigger: 'automatic',
            sessionPolicy: 'let-finish',
            verdicts: [
              { gate: 'errorRate.absolute', status: 'failed', measured: 0.3, limit: 0.1 },
              { gate: 'errorRate.increase', status: 'failed', measured: 0.3, baseline: 0.01 },
            ],
          },
        },
        {
          type: 'RoutingTableChanged',
          data: {
            table: {
              versions: [
                { versionId: 'v1', state: 'active', newSessionWeight: 1 },
                { versionId: 'v2', state: 'draining', newSessionWeight: 0, existingSessions: 'keep' },
              ],
            },
          },
        },
      ]);
  });

  it('applies the session policy to the candidate', () => {
    const terminate = history(start(0, { sessionPolicyOnRollback: 'terminate' }), healthySnapshot(10, 0));
    given(terminate).when(healthySnapshot(15, 10, BROKEN)).thenMatches([
      {},
      { type: 'RolledBack', data: { sessionPolicy: 'terminate' } },
      { data: { table: { versions: [{}, { versionId: 'v2', state: 'killed', existingSessions: 'terminate' }], sessionPolicy: 'terminate' } } },
    ]);
    const migrate = history(start(0, { sessionPolicyOnRollback: 'migrate' }), healthySnapshot(10, 0));
    given(migrate).when(healthySnapshot(15, 10, BROKEN)).thenMatches([
      {},
      {},
      { data: { table: { versions: [{}, { versionId: 'v2', state: 'draining', existingSessions: 'migrate' }] } } },
    ]);
  });

  it('a shadow candidate has no sessions: it is drained at once', () => {
    given(started()).when(healthySnapshot(5, 0, { policyViolations: 1 })).thenMatches([
      {},
      { type: 'RolledBack', data: { verdicts: [{ gate: 'policyViolations.max', status: 'failed' }] } },
      { data: { table: { versions: [{ versionId: 'v1' }, { versionId: 'v2', state: 'drained' }], shadowTargets: [] } } },
    ]);
  });

  it('does not fail on noise: a breach that is not significant is inconclusive and holds', () => {
    given(started())
      .when(snapshot(10, 0, { v1: { ...HEALTHY, errorRate: 0.09 }, v2: { ...HEALTHY, requests: 40, errorRate: 0.15 } }))
      .thenMatches([
        {
          type: 'SnapshotEvaluated',
          data: {
            verdicts: expect.arrayContaining([
              expect.objectContaining({ gate: 'errorRate.absolute', status: 'inconclusive', pValue: expect.any(Number) }),
              expect.objectContaining({ gate: 'errorRate.increase', status: 'inconclusive', pValue: expect.any(Number) }),
            ]),
          },
        },
      ]);
  });

  it('beyond N automatic rollbacks per hour the rollout pauses and says why', () => {
    const limits = { rollbackLimits: { cooldownMs: 0, maxAutomaticRollbacksPerHour: 2 } };
    const twoRollbacks = history(
      start(0, limits),
      healthySnapshot(1, 0, BROKEN),
      start(2, { ...limits, candidateVersionId: 'v3' }),
      snapshot(3, 2, { v1: HEALTHY, v3: { ...HEALTHY, ...BROKEN } }),
      start(4, { ...limits, candidateVersionId: 'v4' }),
    );
    given(twoRollbacks)
      .when(snapshot(5, 4, { v1: HEALTHY, v4: { ...HEALTHY, ...BROKEN } }))
      .thenMatches([
        { type: 'SnapshotEvaluated' },
        { type: 'RolloutPaused', data: { trigger: 'automatic-rollback-limit', reason: expect.stringContaining('2 automatic rollbacks happened in the last hour (limit 2)') } },
      ]);
    given(twoRollbacks).when(snapshot(65, 4, { v1: HEALTHY, v4: { ...HEALTHY, ...BROKEN } })).thenMatches([{}, { type: 'RolledBack' }, {}]);
  });

  it('while paused, snapshots are recorded but no automatic action is taken', () => {
    given(history(start(0), healthySnapshot(10, 0), pause(11)))
      .when(healthySnapshot(20, 10, BROKEN))
      .thenMatches([{ type: 'SnapshotEvaluated' }]);
  });
});

describe('operator commands', () => {
  it('Advance moves to the next stage, and completes from the last', () => {
    given(started()).when(advance(1)).thenMatches([{ type: 'StageAdvanced', data: { trigger: 'manual', toStageIndex: 1 } }, { type: 'RoutingTableChanged' }]);
    given(history(start(0), advance(1), advance(2))).when(advance(3)).thenMatches([{ type: 'RolloutCompleted' }, { type: 'RoutingTableChanged' }]);
  });

  it('Advance when paused throws RolloutPausedError; without rollout NoActiveRolloutError', () => {
    given(history(start(0), pause(1))).when(advance(2)).thenThrows(RolloutPausedError, RolloutErrorCode.Paused);
    given([]).when(advance(2)).thenThrows(NoActiveRolloutError);
    given(history(start(0), promote(1))).when(advance(2)).thenThrows(NoActiveRolloutError);
  });

  it('Pause and Resume; pausing twice or resuming a running rollout conflicts', () => {
    given(started()).when(pause(1)).thenMatches([{ type: 'RolloutPaused', data: { trigger: 'manual', reason: 'investigating' } }]);
    given(history(start(0), pause(1))).when(pause(2)).thenThrows(RolloutConflictError);
    given(history(start(0), pause(1))).when(resume(2)).thenMatches([{ type: 'RolloutResumed' }]);
    given(started()).when(resume(2)).thenThrows(RolloutConflictError);
    given([]).when(pause(2)).thenThrows(NoActiveRolloutError);
  });

  it('Promote skips to 100 % and completes', () => {
    given(started())
      .when(promote(1))
      .thenMatches([
        { type: 'StageAdvanced', data: { trigger: 'promote', toStageIndex: 2 } },
        { type: 'RolloutCompleted' },
        { type: 'RoutingTableChanged', data: { table: { versions: [{ versionId: 'v1', state: 'draining' }, { versionId: 'v2', state: 'active', newSessionWeight: 1 }], fallbackVersionId: 'v2' } } },
      ]);
    given(history(start(0), pause(1))).when(promote(2)).thenThrows(RolloutPausedError);
  });

  it('RollBack and Abort restore the baseline, also when paused', () => {
    given(inCanary()).when(rollBack(12)).thenMatches([{ type: 'RolledBack', data: { trigger: 'manual', reason: 'customer complaints' } }, { type: 'RoutingTableChanged' }]);
    const aborted = given(history(start(0), healthySnapshot(10, 0), pause(11))).when(abort(12));
    aborted.thenMatches([{ type: 'RolledBack', data: { trigger: 'abort' } }, { type: 'RoutingTableChanged' }]);
    expect(aborted.stateAfter().rollout?.status).toBe('aborted');
    given([]).when(rollBack(1)).thenThrows(NoActiveRolloutError);
  });

  it('rollback from 100 % brings the draining baseline back: near-instant, no redeploy', () => {
    given(history(start(0), advance(1), advance(2)))
      .when(rollBack(3))
      .thenMatches([{}, { data: { table: { versions: [{ versionId: 'v1', state: 'active', newSessionWeight: 1 }, { versionId: 'v2', state: 'draining' }], fallbackVersionId: 'v1' } } }]);
  });
});

describe('external gates', () => {
  const withEval = () => history(start(0, { gates: { external: [{ name: 'offline-evals', min: 0.85 }] } }));

  it('a required external gate holds the stage until it passes', () => {
    given(withEval()).when(healthySnapshot(10, 0)).thenMatches([{ type: 'SnapshotEvaluated' }]);
    given(history(start(0, { gates: { external: [{ name: 'offline-evals', min: 0.85 }] } }), healthySnapshot(10, 0)))
      .when(externalGate(11, { name: 'offline-evals', value: 0.9 }))
      .thenMatches([
        { type: 'ExternalGateRecorded', data: { verdict: { gate: 'external:offline-evals', status: 'passed', measured: 0.9, limit: 0.85 } } },
        { type: 'StageAdvanced' },
        { type: 'RoutingTableChanged' },
      ]);
  });

  it('a failed external gate rolls back', () => {
    given(withEval())
      .when(externalGate(1, { name: 'offline-evals', value: 0.5 }))
      .thenMatches([{ type: 'ExternalGateRecorded', data: { verdict: { status: 'failed' } } }, { type: 'RolledBack' }, { type: 'RoutingTableChanged' }]);
    given(started()).when(externalGate(1, { name: 'safety', value: 1, passed: false })).thenMatches([{}, { type: 'RolledBack' }, {}]);
  });
});

describe('ReportLiveSessions', () => {
  it('drains a draining version at zero sessions, ignores other reports', () => {
    const completed = history(start(0), promote(1));
    given(completed)
      .when(liveSessions(2, 'v1', 0))
      .thenMatches([{ type: 'VersionDrained', data: { versionId: 'v1' } }, { type: 'RoutingTableChanged', data: { table: { versions: [{ versionId: 'v1', state: 'drained' }, {}] } } }]);
    given(completed).when(liveSessions(2, 'v1', 3)).thenNothing();
    given(completed).when(liveSessions(2, 'v2', 0)).thenNothing();
    given(completed).when(liveSessions(2, 'v9', 0)).thenThrows(UnknownVersionError, RolloutErrorCode.UnknownVersion);
    given(completed).when(liveSessions(2, 'v1', -1)).thenThrows(InvalidRolloutCommandError);
  });
});

describe('idempotency', () => {
  it('a command id handled before yields no new events', () => {
    const events = history(start(0, {}, 'same'));
    given(events).when(start(0, {}, 'same')).thenNothing();
    given(events).when(pause(1, {}, 'same')).thenNothing();
    const paused = history(start(0), pause(1, {}, 'p1'));
    given(paused).when(pause(1, {}, 'p1')).thenNothing();
  });
});

describe('sequential evidence over a stage', () => {
  const modest = { requests: 200, errors: 20, errorRate: 0.1 };
  const baseline = { ...HEALTHY, requests: 2000, errors: 20, errorRate: 0.01 };
  const windows = (n: number) => Array.from({ length: n }, (_, i) => snapshot(i + 1, i, { v1: baseline, v2: { ...HEALTHY, ...modest } }));

  it('a modest excess is inconclusive in one window; its accumulated evidence, rebuilt from the log, rolls back a few windows later', () => {
    given(history(start(0))).when(windows(1)[0]!).thenMatches([{ type: 'SnapshotEvaluated', data: { verdicts: expect.arrayContaining([expect.objectContaining({ gate: 'errorRate.increase', status: 'inconclusive' })]) } }]);
    const all = windows(8);
    const rolledBackAt = all.findIndex((_, i) => given(history(start(0), ...all.slice(0, i))).when(all[i]!).stateAfter().rollout!.status === 'rolled-back');
    expect(rolledBackAt).toBeGreaterThan(0);
    // the evidence it rolled back on is the sum of the windows, as evolve rebuilt it from SnapshotEvaluated events
    const before = given(history(start(0), ...all.slice(0, rolledBackAt))).state;
    expect(before.rollout!.evidence).toMatchObject({ looks: rolledBackAt, candidate: { requests: 200 * rolledBackAt, errors: 20 * rolledBackAt } });
  });

  it('a stage change starts a new sequence', () => {
    const state = given(history(start(0), ...windows(1), advance(2))).state;
    expect(state.rollout!.evidence).toMatchObject({ looks: 0, candidate: { requests: 0 } });
  });
});
