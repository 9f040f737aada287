import type { SetFleetPolicy } from './commands';
import { InvalidRolloutCommandError } from './errors';
import { evolveAll } from './evolve';
import { initialState } from './state';
import { given, history } from './testing/decider-specification';
import { MINUTE, at, promote, start, tick } from './testing/builders';
import type { FleetPolicy } from './types';

const setPolicy = (minutes: number, policy: Partial<FleetPolicy>): SetFleetPolicy => ({
  type: 'SetFleetPolicy',
  data: { policy: { maxLiveVersions: null, maxSessionAgeMs: null, onForcedDrain: 'migrate', ...policy } },
  metadata: { commandId: `policy-${minutes}`, actor: 'test@iris', at: at(minutes) },
});
const fleetOf = (events: ReturnType<typeof history>) =>
  Object.fromEntries(evolveAll(initialState(), events).fleet.map((v) => [v.versionId, `${v.state}/${v.existingSessions}`]));

describe('forced drain (fleet policy)', () => {
  // v1 → v2 → v3 completed: v1 and v2 drain, v3 is active.
  const threeVersions = () => history(start(0), promote(1), start(2, { candidateVersionId: 'v3', baselineVersionId: undefined }), promote(3));

  it('max session age: a version draining longer than the bound has its sessions migrated; the event says why', () => {
    const events = [...threeVersions(), ...history()];
    const withPolicy = [...events, ...given(events).when(setPolicy(4, { maxSessionAgeMs: 30 * MINUTE })).thenMatches([{ type: 'FleetPolicyChanged' }, { type: 'RoutingTableChanged' }])];
    given(withPolicy).when(tick(20)).thenNothing();
    const forced = given(withPolicy).when(tick(31)).thenMatches([
      { type: 'VersionForceDrained', data: { versionId: 'v1', reason: 'max-session-age', action: 'migrate', detail: expect.stringContaining('draining for') } },
      { type: 'RoutingTableChanged' },
    ]);
    const after = [...withPolicy, ...forced];
    expect(fleetOf(after)).toEqual({ v1: 'draining/migrate', v2: 'draining/keep', v3: 'active/keep' });
    expect(evolveAll(initialState(), after).routing.table!.maxSessionAgeMs).toBe(30 * MINUTE);
    given(after).when(tick(32)).thenNothing(); // each version is forced once
  });

  it('max live versions: the oldest draining version is ended when a new one would exceed the bound', () => {
    const events = history(start(0), promote(1), setPolicy(2, { maxLiveVersions: 2, onForcedDrain: 'terminate' }));
    const next = given(events).when(start(3, { candidateVersionId: 'v3', baselineVersionId: undefined })).thenMatches([
      { type: 'RolloutStarted' },
      { type: 'VersionForceDrained', data: { versionId: 'v1', reason: 'max-live-versions', action: 'terminate' } },
      { type: 'RoutingTableChanged' },
    ]);
    expect(fleetOf([...events, ...next])).toMatchObject({ v1: 'draining/terminate', v2: 'active/keep', v3: 'shadow/keep' });
  });

  it('refuses a bound below two live versions', () => {
    given([]).when(setPolicy(0, { maxLiveVersions: 1 })).thenThrows(InvalidRolloutCommandError);
  });
});
