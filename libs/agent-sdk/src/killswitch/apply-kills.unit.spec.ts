import { compileRoutingTable } from '../routing/compiled-table';
import { route } from '../routing/route';
import { SessionRouter } from '../routing/session-router';
import { kill, killSetEvent } from '../testing/kill-sets';
import { routingDecision, version } from '../testing/routing-tables';
import { CompiledKillSet } from './compiled-kills';

const AGENT = 'support-bot';
const NOW = Date.parse('2025-01-31T12:30:00.000Z');
const table = compileRoutingTable(
  routingDecision(AGENT, 7, { versions: [version('v1', 0.5), version('v2', 0.5, { state: 'canary' }), version('faq', 0, { state: 'drained' })], fallbackVersionId: 'v1' }),
);
const killsOf = (kills: Parameters<typeof killSetEvent>[1], fallbacks: Record<string, string> = {}) => new CompiledKillSet(killSetEvent(3, kills, fallbacks).data).forAgent(AGENT);
const router = (kills: ReturnType<typeof killsOf>) => new SessionRouter({ tables: () => table, defaultVersionId: 'v1', kills: () => kills });

/** A session the weights place on v2 (found once, deterministic). */
const onV2 = Array.from({ length: 100 }, (_, i) => `s-${i}`).find((sessionId) => route(table, { agent: AGENT, sessionId }, NOW).versionId === 'v2')!;
const onV1 = Array.from({ length: 100 }, (_, i) => `s-${i}`).find((sessionId) => route(table, { agent: AGENT, sessionId }, NOW).versionId === 'v1')!;

describe('kills applied by route()', () => {
  it('no kill of the agent: the decision is the routing one', () => {
    expect(new CompiledKillSet(killSetEvent(1, [kill('k', { agent: 'other-bot' })]).data).forAgent(AGENT)).toBeUndefined();
    expect(route(table, { agent: AGENT, sessionId: onV2 }, NOW, { kills: undefined })).toMatchObject({ versionId: 'v2', reason: 'weighted' });
  });

  it('a version kill sends its traffic to the routing fallback with reason killed and the kill id', () => {
    const kills = killsOf([kill('k-v2', { agent: AGENT, versionId: 'v2' })]);
    expect(route(table, { agent: AGENT, sessionId: onV2 }, NOW, { kills })).toMatchObject({ versionId: 'v1', reason: 'killed', killId: 'k-v2', pin: 'v1@7', endpoint: 'http://v1.agents.test:8080/' });
    expect(route(table, { agent: AGENT, sessionId: onV1 }, NOW, { kills })).toMatchObject({ versionId: 'v1', reason: 'weighted' });
  });

  it('version × tenant, × feature, × tenant × feature cover only their slice', () => {
    const cases: Array<[Parameters<typeof kill>[1], { tenant?: string; feature?: string }, boolean]> = [
      [{ agent: AGENT, versionId: 'v2', tenant: 'acme' }, { tenant: 'acme' }, true],
      [{ agent: AGENT, versionId: 'v2', tenant: 'acme' }, { tenant: 'globex' }, false],
      [{ agent: AGENT, versionId: 'v2', feature: 'refunds' }, { feature: 'refunds' }, true],
      [{ agent: AGENT, versionId: 'v2', feature: 'refunds' }, {}, false],
      [{ agent: AGENT, versionId: 'v2', tenant: 'acme', feature: 'refunds' }, { tenant: 'acme', feature: 'refunds' }, true],
      [{ agent: AGENT, versionId: 'v2', tenant: 'acme', feature: 'refunds' }, { tenant: 'acme', feature: 'chat' }, false],
    ];
    for (const [scope, call, killed] of cases) {
      const decision = route(table, { agent: AGENT, sessionId: onV2, ...call }, NOW, { kills: killsOf([kill('k', scope)]) });
      expect([scope, call, decision.reason]).toEqual([scope, call, killed ? 'killed' : 'weighted']);
    }
  });

  it('agent, tenant, feature and global kills send everything but the fallback to the configured fallback', () => {
    for (const scope of [{ agent: AGENT }, { tenant: 'acme' }, { feature: 'refunds' }, {}]) {
      const kills = killsOf([kill('k', scope)], { [AGENT]: 'faq' });
      const call = { tenant: 'acme', feature: 'refunds' };
      expect(route(table, { agent: AGENT, sessionId: onV1, ...call }, NOW, { kills })).toMatchObject({ versionId: 'faq', reason: 'killed', killId: 'k' });
      expect(route(table, { agent: AGENT, sessionId: onV2, ...call }, NOW, { kills })).toMatchObject({ versionId: 'faq', reason: 'killed' });
    }
    // without a configured fallback the routing fallback (v1) is spared and serves
    expect(route(table, { agent: AGENT, sessionId: onV1 }, NOW, { kills: killsOf([kill('k', {})]) })).toMatchObject({ versionId: 'v1', reason: 'weighted' });
    expect(route(table, { agent: AGENT, sessionId: onV2 }, NOW, { kills: killsOf([kill('k', {})]) })).toMatchObject({ versionId: 'v1', reason: 'killed' });
  });

  it('a killed configured fallback is skipped; nothing left → versionId null, reason killed', () => {
    const kills = killsOf([kill('k-faq', { agent: AGENT, versionId: 'faq' }), kill('k-v2', { agent: AGENT, versionId: 'v2' })], { [AGENT]: 'faq' });
    expect(route(table, { agent: AGENT, sessionId: onV2 }, NOW, { kills })).toMatchObject({ versionId: 'v1', reason: 'killed', killId: 'k-v2' });
    const none = killsOf([kill('k-v1', { agent: AGENT, versionId: 'v1' }, { allowNoRoute: true }), kill('k-v2', { agent: AGENT, versionId: 'v2' })]);
    expect(route(table, { agent: AGENT, sessionId: onV2 }, NOW, { kills: none })).toMatchObject({ versionId: null, reason: 'killed', killId: 'k-v2' });
    expect(route(table, { agent: AGENT, sessionId: onV1 }, NOW, { kills: none })).toMatchObject({ versionId: null, reason: 'killed', killId: 'k-v1' });
  });

  it('an expired kill no longer applies, even before the service says so', () => {
    const kills = killsOf([kill('k', { agent: AGENT, versionId: 'v2' }, { expiresAt: new Date(NOW).toISOString() })]);
    expect(route(table, { agent: AGENT, sessionId: onV2 }, NOW - 1, { kills }).reason).toBe('killed');
    expect(route(table, { agent: AGENT, sessionId: onV2 }, NOW, { kills }).reason).toBe('weighted');
  });

  it('sessions pinned on a killed version move to the fallback (migrate) or are ended (terminate)', () => {
    const migrate = router(killsOf([kill('k', { agent: AGENT, versionId: 'v2' })]));
    expect(migrate.routeFor(AGENT, { sessionId: 'pinned', pinnedVersionId: 'v2@7' }, NOW)).toMatchObject({ versionId: 'v1', reason: 'killed', previousVersionId: 'v2' });
    expect(migrate.routeFor(AGENT, { sessionId: 'pinned', pinnedVersionId: 'v2@7' }, NOW).terminated).toBeUndefined();
    const terminate = router(killsOf([kill('k', { agent: AGENT, versionId: 'v2' }, { onKill: 'terminate' })]));
    expect(terminate.routeFor(AGENT, { sessionId: 'pinned', pinnedVersionId: 'v2@7' }, NOW)).toMatchObject({ versionId: 'v1', reason: 'killed', previousVersionId: 'v2', terminated: true });
    // a new session is simply placed on the fallback
    expect(terminate.routeFor(AGENT, { sessionId: onV2 }, NOW)).toEqual(expect.not.objectContaining({ terminated: true }));
  });

  it('a session already on the fallback stays there: no move, no termination, call after call', () => {
    const terminate = router(killsOf([kill('k', { agent: AGENT }, { onKill: 'terminate' })], { [AGENT]: 'faq' }));
    const first = terminate.routeFor(AGENT, { sessionId: 'on-v2', pinnedVersionId: 'v2@7' }, NOW);
    expect(first).toMatchObject({ versionId: 'faq', reason: 'killed', previousVersionId: 'v2', terminated: true });
    // faq is drained in the table: routing alone would move the session off it; the kill brings it back, quietly
    for (let i = 0; i < 3; i++) {
      const again = terminate.routeFor(AGENT, { sessionId: 'on-v2' }, NOW);
      expect(again).toMatchObject({ versionId: 'faq', reason: 'killed' });
      expect(again.previousVersionId).toBeUndefined();
      expect(again.terminated).toBeUndefined();
    }
  });

  it('applies without any routing table (controller never published): the configured fallback serves', () => {
    const kills = killsOf([kill('k', { agent: AGENT, versionId: 'v1' })], { [AGENT]: 'faq' });
    const noTables = new SessionRouter({ tables: () => undefined, defaultVersionId: 'v1', kills: () => kills });
    expect(noTables.routeFor(AGENT, { sessionId: 'x' }, NOW)).toMatchObject({ versionId: 'faq', reason: 'killed', killId: 'k', revision: 0 });
  });
});
