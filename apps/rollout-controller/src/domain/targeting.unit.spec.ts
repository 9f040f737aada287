import type { RolloutCommand, SetTargeting } from './commands';
import { InvalidRolloutCommandError, PreflightFailedError, RolloutErrorCode, UnknownVersionError } from './errors';
import { evolveAll } from './evolve';
import { initialState } from './state';
import { given, history } from './testing/decider-specification';
import { HEALTHY, MINUTE, SHORT_STAGES, advance, at, healthySnapshot, promote, rollBack, snapshot, start } from './testing/builders';

const setTargeting = (minutes: number, targeting: SetTargeting['data']['targeting']): SetTargeting => ({
  type: 'SetTargeting',
  data: { targeting },
  metadata: { commandId: `target-${minutes}`, actor: 'test@iris', at: at(minutes) },
});
const tableOf = (events: ReturnType<typeof history>) => evolveAll(initialState(), events).routing.table!;

describe('targeting', () => {
  it('cohorts and overrides are part of the published table', () => {
    const cohorts = [{ versionId: 'v2', tenants: ['iris-internal'], users: [], features: [] }];
    const overrides = [{ kind: 'user' as const, value: 'dana', versionId: 'v1', reason: 'debugging' }];
    const events = history(start(0), advance(1), setTargeting(2, { cohorts, overrides }));
    expect(events.slice(-2).map((e) => e.type)).toEqual(['TargetingChanged', 'RoutingTableChanged']);
    expect(tableOf(events).targeting).toEqual({ cohorts, overrides });
  });

  it('refuses versions outside the fleet or that take no sessions', () => {
    given(history(start(0))).when(setTargeting(1, { cohorts: [{ versionId: 'v9', tenants: [], users: [], features: [] }], overrides: [] })).thenThrows(UnknownVersionError);
    const rolledBack = history(start(0, { sessionPolicyOnRollback: 'terminate' }), advance(1), rollBack(2));
    given(rolledBack).when(setTargeting(3, { cohorts: [], overrides: [{ kind: 'session', value: 's1', versionId: 'v2' }] })).thenThrows(InvalidRolloutCommandError);
  });
});

describe('weight epochs', () => {
  it('every weight change adds an epoch stamped with the decision time; the last equals the current weights', () => {
    const events = history(start(0), advance(5), promote(9));
    const epochs = tableOf(events).epochs;
    expect(epochs).toEqual([
      { revision: 1, effectiveAt: at(0), weights: { v1: 1 } },
      { revision: 2, effectiveAt: at(5), weights: { v1: 0.9, v2: 0.1 } },
      { revision: 3, effectiveAt: at(9), weights: { v2: 1 } },
    ]);
  });

  it('a routing change that keeps the weights (targeting) adds no epoch', () => {
    const events = history(start(0), advance(5), setTargeting(6, { cohorts: [{ versionId: 'v2', tenants: ['acme'], users: [], features: [] }], overrides: [] }));
    expect(tableOf(events).epochs.map((e) => e.revision)).toEqual([1, 2]);
  });
});

describe('when new weights take effect', () => {
  /** The command as the command handler passes it: decided at `decidedMinutes`, allowance included. */
  const decidedAt = <C extends RolloutCommand>(command: C, decidedMinutes: number): C => ({ ...command, metadata: { ...command.metadata, routingEffectiveAt: at(decidedMinutes) } });
  const newestEpoch = (events: ReturnType<typeof history>) => tableOf(events).epochs.slice(-1)[0];

  it('given a rollout in shadow, when a judged window (dated by its end) advances it, then the new weights take effect at the decided time plus allowance, not at the window end', () => {
    const past = history(start(0));
    const events = given(past).when(decidedAt(healthySnapshot(10, 0), 10.1)).thenMatches([
      { type: 'SnapshotEvaluated', metadata: { at: at(10) } },
      { type: 'StageAdvanced', metadata: { at: at(10) } },
      { type: 'RoutingTableChanged', data: { revision: 2 } },
    ]);
    expect(tableOf([...past, ...events]).epochs).toEqual([
      { revision: 1, effectiveAt: at(0), weights: { v1: 1 } },
      { revision: 2, effectiveAt: at(10.1), weights: { v1: 0.9, v2: 0.1 } },
    ]);
    // the stage itself is dated by the window: the next window counts for it
    expect(evolveAll(initialState(), [...past, ...events]).rollout!.stageEnteredAtMs).toBe(Date.parse(at(10)));
  });

  it('given a rollout at 10 %, when a failing window rolls it back, then the restored weights take effect at the decided time plus allowance too', () => {
    const past = history(start(0), healthySnapshot(10, 0));
    const events = given(past).when(decidedAt(snapshot(20, 10, { v1: HEALTHY, v2: { ...HEALTHY, errorRate: 0.3 } }), 20.05)).thenMatches([
      { type: 'SnapshotEvaluated' },
      { type: 'RolledBack', data: { trigger: 'automatic' } },
      { type: 'RoutingTableChanged', data: { revision: 3 } },
    ]);
    expect(newestEpoch([...past, ...events])).toEqual({ revision: 3, effectiveAt: at(20.05), weights: { v1: 1 } });
  });

  it('given any history, when the decided time lies before the command time, then the epoch takes effect at the command time', () => {
    expect(newestEpoch(history(decidedAt(start(0), -1)))).toEqual({ revision: 1, effectiveAt: at(0), weights: { v1: 1 } });
  });

  it('given an epoch not in force yet, when a later decision changes the weights again, then its epoch never takes effect before the previous one', () => {
    const events = history(start(0), decidedAt(advance(5), 8), decidedAt(promote(6), 6.5));
    expect(tableOf(events).epochs.map((e) => e.effectiveAt)).toEqual([at(0), at(8), at(8)]);
  });

  it('the events keep only the command time: replay needs neither the decided time nor a clock', () => {
    const events = history(decidedAt(start(0), 0.5), decidedAt(advance(5), 5.5));
    expect(events.every((e) => Object.keys(e.metadata).sort().join() === 'actor,at,commandId')).toBe(true);
    const replayed = JSON.parse(JSON.stringify(events)) as typeof events;
    expect(JSON.stringify(evolveAll(initialState(), replayed))).toBe(JSON.stringify(evolveAll(initialState(), events)));
  });
});

describe('ramps', () => {
  it('a stage with rampMs publishes a linear ramp from the previous share', () => {
    const stages = [SHORT_STAGES[0]!, { ...SHORT_STAGES[1]!, rampMs: 5 * MINUTE }, SHORT_STAGES[2]!];
    const events = history(start(0, { stages }), advance(2));
    expect(tableOf(events).targeting.ramp).toEqual({ versionId: 'v2', fromWeight: 0, toWeight: 0.1, startAt: at(2), endAt: at(7) });
    expect(tableOf(events).epochs[tableOf(events).epochs.length - 1]!.ramp).toEqual(tableOf(events).targeting.ramp);
  });

  it('a ramp longer than the stage minimum is refused', () => {
    const stages = [SHORT_STAGES[0]!, { ...SHORT_STAGES[1]!, rampMs: 20 * MINUTE }, SHORT_STAGES[2]!];
    given([]).when(start(0, { stages })).thenThrows(InvalidRolloutCommandError);
  });
});

describe('shadow exit checklist', () => {
  const ALL = ['shadow-min-duration', 'shadow-min-samples', 'external-gates', 'fallback'] as const;

  it('refuses a manual advance out of shadow, naming the failed items, and appends nothing', () => {
    const events = history(start(0, { shadowExitChecklist: [...ALL], gates: { external: [{ name: 'safety', min: 0.95 }] } }));
    const refusal = given(events).when(advance(2)).thenThrows(PreflightFailedError, RolloutErrorCode.PreflightFailed);
    expect(refusal.failedChecks).toEqual([
      { name: 'shadow-min-duration', passed: false, detail: expect.stringContaining('shadow ran') },
      { name: 'shadow-min-samples', passed: false, detail: '0 of 100 samples' },
      { name: 'external-gates', passed: false, detail: 'not passed: safety' },
    ]);
  });

  it('refuses promote from shadow too, and lets the candidate out once every item holds (the passed check recorded)', () => {
    const base = history(start(0, { shadowExitChecklist: ['shadow-min-duration', 'fallback'] }));
    given(base).when(promote(2)).thenThrows(PreflightFailedError, RolloutErrorCode.PreflightFailed);
    given(base).when(advance(11)).thenMatches([{ type: 'PreflightChecked', data: { passed: true, trigger: 'manual' } }, { type: 'StageAdvanced' }, { type: 'RoutingTableChanged' }]);
  });

  it('refuses unknown checklist items', () => {
    given([]).when(start(0, { shadowExitChecklist: ['vibes' as never] })).thenThrows(InvalidRolloutCommandError);
  });
});
