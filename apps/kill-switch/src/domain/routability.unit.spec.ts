import type { Kill } from './types';
import { effectiveFallback, killOf, strandedSlices, type AgentRouting, type KillsInForce } from './routability';

const NOW = Date.parse('2025-01-31T12:00:00.000Z');
const kill = (killId: string, scope: Kill['scope'], patch: Partial<Kill> = {}): Kill => ({
  killId, scope, reason: 'r', actor: 'a', killedAt: new Date(NOW).toISOString(), expiresAt: null, onKill: 'migrate', allowNoRoute: false, ...patch,
});
const routing: AgentRouting = { servingVersionIds: ['v1', 'v2'], fallbackVersionId: 'v1', activeVersionIds: ['v1'] };
const set = (kills: Kill[], fallbacks: Record<string, string> = {}): KillsInForce => ({ kills, fallbacks });
const routingOf = () => routing;

describe('routability of an agent under kills', () => {
  it('the configured fallback first, else the routing table\'s, skipping one a kill names', () => {
    expect(effectiveFallback(set([], { bot: 'faq' }), 'bot', {}, routing, NOW)).toBe('faq');
    expect(effectiveFallback(set([]), 'bot', {}, routing, NOW)).toBe('v1');
    expect(effectiveFallback(set([kill('k', { agent: 'bot', versionId: 'faq' })], { bot: 'faq' }), 'bot', {}, routing, NOW)).toBe('v1');
    expect(effectiveFallback(set([kill('k', { agent: 'bot', versionId: 'v1', tenant: 'acme' })]), 'bot', { tenant: 'acme' }, routing, NOW)).toBeNull();
    expect(effectiveFallback(set([]), 'bot', {}, undefined, NOW)).toBeNull();
  });

  it('kills that name no version spare the fallback; a version kill covers only its slice; an expired kill is ignored', () => {
    const agentKill = set([kill('k', { agent: 'bot' })], { bot: 'faq' });
    expect(killOf(agentKill, 'bot', 'v2', {}, routing, NOW)?.killId).toBe('k');
    expect(killOf(agentKill, 'bot', 'faq', {}, routing, NOW)).toBeUndefined();
    const tenantVersion = set([kill('k', { agent: 'bot', versionId: 'v2', tenant: 'acme' })]);
    expect(killOf(tenantVersion, 'bot', 'v2', { tenant: 'acme' }, routing, NOW)?.killId).toBe('k');
    expect(killOf(tenantVersion, 'bot', 'v2', { tenant: 'globex' }, routing, NOW)).toBeUndefined();
    expect(killOf(set([kill('k', { agent: 'bot', versionId: 'v2' }, { expiresAt: new Date(NOW).toISOString() })]), 'bot', 'v2', {}, routing, NOW)).toBeUndefined();
  });

  it('a kill of every serving version and of the fallback for a tenant strands that tenant only', () => {
    const before = set([kill('k-2', { agent: 'bot', versionId: 'v2', tenant: 'acme' })]);
    const after = set([...before.kills, kill('k-1', { agent: 'bot', versionId: 'v1', tenant: 'acme' })]);
    expect(strandedSlices(before, after, ['bot'], routingOf, NOW)).toEqual([{ agent: 'bot', tenant: 'acme' }]);
  });

  it('killing the canary leaves the fallback: nothing stranded; a global kill with no fallback anywhere strands', () => {
    expect(strandedSlices(set([]), set([kill('k', { agent: 'bot', versionId: 'v2' })]), ['bot'], routingOf, NOW)).toEqual([]);
    const noFallback: AgentRouting = { servingVersionIds: ['v1'], fallbackVersionId: null, activeVersionIds: [] };
    expect(strandedSlices(set([]), set([kill('k', {})]), ['bot'], () => noFallback, NOW)).toEqual([{ agent: 'bot' }]);
  });

  it('an agent with nothing routable before is not reported', () => {
    expect(strandedSlices(set([]), set([kill('k', { agent: 'bot' })]), ['bot'], () => undefined, NOW)).toEqual([]);
  });
});
