import { given, history } from './testing/decider-specification';
import { applyKill, healthySnapshot, liveSessions, promote, start } from './testing/builders';

describe('ApplyKill (a kill of the kill switch)', () => {
  it('a kill of the running rollout\'s candidate rolls it back: trigger kill, the kill id as cause, sessions as the kill says', () => {
    const events = given(history(start(0), healthySnapshot(10, 0)))
      .when(applyKill(12, 'k-7', 'v2', { onKill: 'terminate' }))
      .thenMatches([
        { type: 'RolledBack', data: { trigger: 'kill', killId: 'k-7', reason: 'kill k-7: hallucinations', sessionPolicy: 'terminate', candidateVersionId: 'v2' } },
        { type: 'RoutingTableChanged' },
      ]);
    const table = (events[1] as Extract<(typeof events)[number], { type: 'RoutingTableChanged' }>).data.table;
    expect(table.versions.find((v) => v.versionId === 'v1')?.newSessionWeight).toBe(1);
    expect(given(history(start(0), healthySnapshot(10, 0))).when(applyKill(12, 'k-7', 'v2')).stateAfter().rollout?.status).toBe('rolled-back');
  });

  it('a whole-agent or global kill rolls the candidate back unless it is the spared fallback', () => {
    given(history(start(0))).when(applyKill(1, 'k-all', null, { spareVersionId: 'v1' })).thenMatches([{ type: 'RolledBack', data: { trigger: 'kill', killId: 'k-all' } }, { type: 'RoutingTableChanged' }]);
    given(history(start(0))).when(applyKill(1, 'k-all', null, { spareVersionId: 'v2' })).thenNothing();
  });

  it('a kill of another version, of a finished rollout, or the same kill again, decides nothing', () => {
    given(history(start(0))).when(applyKill(1, 'k-1', 'v9')).thenNothing();
    given(history(start(0), promote(1))).when(applyKill(2, 'k-1', 'v2')).thenNothing();
    given(history(start(0), applyKill(1, 'k-1', 'v2'))).when(applyKill(2, 'k-1', 'v2')).thenNothing();
  });

  it('a kill of a draining version ends its drain', () => {
    const draining = history(start(0), promote(1)); // v1 drains, v2 active
    given(draining).when(applyKill(2, 'k-old', 'v1')).thenMatches([{ type: 'VersionDrained', data: { versionId: 'v1' } }, { type: 'RoutingTableChanged' }]);
    given(history(start(0), promote(1), liveSessions(2, 'v1', 0))).when(applyKill(3, 'k-old', 'v1')).thenNothing();
  });
});
