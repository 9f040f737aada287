import { deciderSpecification } from '@iris/testing';
import { killSwitchDecider } from './decider';
import { decide } from './decide';
import { KillSwitchError } from './errors';
import { evolveAll } from './evolve';
import { initialState } from './state';
import { at, engage, expire, release, setFallback } from './testing/commands';

const spec = deciderSpecification(killSwitchDecider);
const { given, history } = spec;
const versionKill = { killId: 'k-1', scope: { agent: 'support-bot', versionId: 'v2' }, reason: 'hallucinations' };

describe('kill-switch decider', () => {
  it('engages a kill with its scope, actor, time and defaults, and revises the set', () => {
    const command = engage(versionKill, 0, 'c-1');
    given([]).when(command).then([
      {
        type: 'KillEngaged',
        data: { kill: { killId: 'k-1', scope: { agent: 'support-bot', versionId: 'v2' }, reason: 'hallucinations', actor: 'oncall@acme', killedAt: at(0), expiresAt: null, onKill: 'migrate', allowNoRoute: false } },
        metadata: command.metadata,
      },
      { type: 'KillSetRevised', data: { revision: 1, change: 'kill k-1 (version) engaged' }, metadata: command.metadata },
    ]);
  });

  it.each([
    ['version × tenant', { agent: 'a', versionId: 'v2', tenant: 'acme' }, 'version×tenant'],
    ['version × feature', { agent: 'a', versionId: 'v2', feature: 'refunds' }, 'version×feature'],
    ['version × tenant × feature', { agent: 'a', versionId: 'v2', tenant: 'acme', feature: 'refunds' }, 'version×tenant×feature'],
    ['whole agent', { agent: 'a' }, 'agent'],
    ['tenant across agents', { tenant: 'acme' }, 'tenant'],
    ['feature across agents', { feature: 'refunds' }, 'feature'],
    ['global', {}, 'global'],
  ])('engages a %s kill', (_name, scope, kind) => {
    given([]).when(engage({ killId: 'k', scope, reason: 'r' })).thenMatches([{ type: 'KillEngaged', data: { kill: { scope } } }, { type: 'KillSetRevised', data: { change: `kill k (${kind}) engaged` } }]);
  });

  it('turns ttlMs into an expiry counted from the command time', () => {
    given([]).when(engage({ ...versionKill, ttlMs: 60_000 }, 5_000)).thenMatches([{ type: 'KillEngaged', data: { kill: { killedAt: at(5_000), expiresAt: at(65_000) } } }, { type: 'KillSetRevised' }]);
  });

  it('refuses an expiry in the past, both expiresAt and ttlMs, a version without its agent, a blank reason', () => {
    given([]).when(engage({ ...versionKill, expiresAt: at(-1) }, 0)).thenThrows(KillSwitchError, 'INVALID_KILL');
    given([]).when(engage({ ...versionKill, expiresAt: at(10), ttlMs: 5 })).thenThrows(KillSwitchError, 'INVALID_KILL');
    given([]).when(engage({ ...versionKill, ttlMs: 0 })).thenThrows(KillSwitchError, 'INVALID_KILL');
    given([]).when(engage({ ...versionKill, scope: { versionId: 'v2' } })).thenThrows(KillSwitchError, 'INVALID_KILL');
    given([]).when(engage({ ...versionKill, reason: '  ' })).thenThrows(KillSwitchError, 'INVALID_KILL');
  });

  it('refuses a second kill with the same id', () => {
    given(history(engage(versionKill))).when(engage({ ...versionKill, reason: 'again' })).thenThrows(KillSwitchError, 'KILL_EXISTS');
  });

  it('a redelivered command decides nothing', () => {
    given(history(engage(versionKill, 0, 'same'))).when(engage(versionKill, 1_000, 'same')).thenNothing();
  });

  it('releases a kill in force; an unknown one is not found', () => {
    const command = release('k-1', 1_000, 'c-r');
    given(history(engage(versionKill))).when(command).then([
      { type: 'KillReleased', data: { killId: 'k-1', reason: null }, metadata: command.metadata },
      { type: 'KillSetRevised', data: { revision: 2, change: 'kill k-1 released' }, metadata: command.metadata },
    ]);
    given([]).when(release('nope')).thenThrows(KillSwitchError, 'KILL_NOT_FOUND');
  });

  it('expires kills from the time the command carries, not before', () => {
    const past = history(engage({ ...versionKill, ttlMs: 60_000 }, 0), engage({ killId: 'k-2', scope: {}, reason: 'forever' }, 0));
    given(past).when(expire(59_999)).thenNothing();
    given(past).when(expire(60_000)).thenMatches([{ type: 'KillExpired', data: { killId: 'k-1', expiresAt: at(60_000) } }, { type: 'KillSetRevised', data: { revision: 3, change: 'kill k-1 expired' } }]);
  });

  it('any command expires what is due first (a release of an expired kill is not found)', () => {
    const past = history(engage({ ...versionKill, ttlMs: 1_000 }));
    given(past).when(setFallback('support-bot', 'v0', 2_000)).thenMatches([{ type: 'KillExpired' }, { type: 'FallbackSet', data: { agent: 'support-bot', versionId: 'v0', previousVersionId: null } }, { type: 'KillSetRevised', data: { revision: 2 } }]);
    given(past).when(release('k-1', 2_000)).thenThrows(KillSwitchError, 'KILL_NOT_FOUND');
  });

  it('sets, changes and clears an agent fallback; the same fallback again is no change', () => {
    const past = history(setFallback('support-bot', 'v0'));
    given(past).when(setFallback('support-bot', 'v0')).thenNothing();
    given(past).when(setFallback('support-bot', 'v1')).thenMatches([{ type: 'FallbackSet', data: { versionId: 'v1', previousVersionId: 'v0' } }, { type: 'KillSetRevised', data: { revision: 2 } }]);
    expect(given(past).when(setFallback('support-bot', null)).stateAfter().fallbacks).toEqual({});
  });

  it('the revision grows by one per change and the state holds what is in force', () => {
    const events = history(engage(versionKill), engage({ killId: 'k-2', scope: { tenant: 'acme' }, reason: 'r' }), release('k-1'), setFallback('a', 'v0'));
    const state = evolveAll(initialState(), events);
    expect(state.revision).toBe(4);
    expect(state.kills.map((k) => k.killId)).toEqual(['k-2']);
    expect(state.fallbacks).toEqual({ a: 'v0' });
  });

  it('refuses a command without a valid time', () => {
    expect(() => decide({ ...engage(versionKill), metadata: { commandId: 'x', actor: 'a', at: 'yesterday' } }, initialState())).toThrow(KillSwitchError);
  });
});
