import { RolloutConflictError } from './errors';
import { evolveAll } from './evolve';
import { initialState } from './state';
import { given, history } from './testing/decider-specification';
import { HEALTHY, advance, liveSessions, promote, rollBack, snapshot, start } from './testing/builders';

const table = (events: ReturnType<typeof history>) => evolveAll(initialState(), events).routing.table!;
const weights = (events: ReturnType<typeof history>) =>
  Object.fromEntries(table(events).versions.map((v) => [v.versionId, [v.state, v.newSessionWeight]]));

describe('rainbow fleet', () => {
  it('keeps N versions: each completed rollout leaves the previous active one draining', () => {
    const events = history(start(0), promote(1), start(2, { candidateVersionId: 'v3', baselineVersionId: undefined }), promote(3));
    expect(weights(events)).toEqual({ v1: ['draining', 0], v2: ['draining', 0], v3: ['active', 1] });
    expect(table(events).fallbackVersionId).toBe('v3');
  });

  it('a draining version becomes drained when it reports zero live sessions', () => {
    const events = history(start(0), promote(1), liveSessions(2, 'v1', 4), liveSessions(3, 'v1', 0));
    expect(weights(events)).toEqual({ v1: ['drained', 0], v2: ['active', 1] });
  });

  describe('a version deployed while another is mid-rollout', () => {
    // v2 is at 10 % when v3 arrives.
    const midRollout = () => history(start(0), advance(1));

    it('needs an explicit supersede', () => {
      given(midRollout()).when(start(2, { candidateVersionId: 'v3', baselineVersionId: undefined })).thenThrows(RolloutConflictError);
    });

    it('supersede: the mid-rollout candidate keeps its share (scaled), nothing snaps back to the oldest version', () => {
      const events = history(start(0), advance(1), start(2, { candidateVersionId: 'v3', baselineVersionId: undefined, supersedeRunning: true }));
      expect(events.slice(-3).map((e) => e.type)).toEqual(['RolloutSuperseded', 'RolloutStarted', 'RoutingTableChanged']);
      // v3 in shadow: v1 and v2 keep exactly their shares.
      expect(weights(events)).toEqual({ v1: ['active', 0.9], v2: ['canary', 0.1], v3: ['shadow', 0] });
      // v3 at 10 %: v1 and v2 share the rest in proportion.
      expect(evolveAll(initialState(), events).rollout?.baselineVersionId).toBe('v1');
      const advanced = [...events, ...given(events).when(advance(3)).thenMatches([{ type: 'StageAdvanced' }, { type: 'RoutingTableChanged' }])];
      expect(weights(advanced)).toEqual({ v1: ['active', 0.81], v2: ['canary', 0.09], v3: ['canary', 0.1] });
    });

    it('rolling back the newer candidate restores the mix including the superseded one', () => {
      const events = history(
        start(0),
        advance(1),
        start(2, { candidateVersionId: 'v3', baselineVersionId: undefined, supersedeRunning: true }),
        advance(3),
        rollBack(4),
      );
      expect(weights(events)).toEqual({ v1: ['active', 0.9], v2: ['canary', 0.1], v3: ['draining', 0] });
    });

    it('completing the newer candidate drains both older versions', () => {
      const events = history(start(0), advance(1), start(2, { candidateVersionId: 'v3', baselineVersionId: undefined, supersedeRunning: true }), promote(3));
      expect(weights(events)).toEqual({ v1: ['draining', 0], v2: ['draining', 0], v3: ['active', 1] });
    });

    it('a superseded shadow candidate simply stops shadowing', () => {
      const events = history(start(0), start(1, { candidateVersionId: 'v3', baselineVersionId: undefined, supersedeRunning: true }));
      expect(weights(events)).toEqual({ v1: ['active', 1], v2: ['drained', 0], v3: ['shadow', 0] });
      expect(table(events).shadowTargets).toEqual([{ versionId: 'v3', sampleRate: 0.5 }]);
    });

    it('only rainbow may supersede', () => {
      given(history(start(0, { strategy: 'canary' }), advance(1)))
        .when(start(2, { candidateVersionId: 'v3', baselineVersionId: undefined, supersedeRunning: true, strategy: 'canary' }))
        .thenThrows(RolloutConflictError);
    });
  });

  it('canary keeps the two-version ceiling: no start while an older version still drains', () => {
    const events = history(start(0), promote(1));
    given(events).when(start(2, { candidateVersionId: 'v3', baselineVersionId: undefined, strategy: 'canary' })).thenThrows(RolloutConflictError);
    const drained = history(start(0), promote(1), liveSessions(2, 'v1', 0));
    given(drained)
      .when(start(3, { candidateVersionId: 'v3', baselineVersionId: undefined, strategy: 'canary' }))
      .thenMatches([{ type: 'RolloutStarted' }, { type: 'RoutingTableChanged' }]);
  });

  it('revisions increase by one with every routing change and weights always sum to 1', () => {
    const events = history(
      start(0),
      snapshot(10, 0, { v1: HEALTHY, v2: HEALTHY }),
      snapshot(20, 10, { v1: HEALTHY, v2: HEALTHY }),
      start(21, { candidateVersionId: 'v3', baselineVersionId: undefined, supersedeRunning: true, stages: [
        { name: 'a', trafficPercent: 33.3333, minDurationMs: 0, minSamples: 0 },
        { name: 'b', trafficPercent: 100, minDurationMs: 0, minSamples: 0 },
      ] }),
    );
    const tables = events.flatMap((e) => (e.type === 'RoutingTableChanged' ? [e.data] : []));
    expect(tables.map((t) => t.revision)).toEqual(tables.map((_, i) => i + 1));
    for (const t of tables) expect(t.table.versions.reduce((sum, v) => sum + v.newSessionWeight, 0)).toBeCloseTo(1, 9);
  });
});
