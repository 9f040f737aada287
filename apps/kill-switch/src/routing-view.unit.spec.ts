import { createEvent } from '@iris/contracts';
import { RoutingView } from './routing-view';
import { routingDecisionEvent } from './testing/fixtures';

describe('RoutingView', () => {
  it('keeps the highest revision per agent of its environment: serving versions, the table\'s fallback, active versions', () => {
    const view = new RoutingView('production');
    view.record(routingDecisionEvent('bot', 'production', 2));
    view.record(routingDecisionEvent('bot', 'staging', 9)); // another environment
    view.record(
      createEvent('routing.decision', { agent: 'bot', revision: 1, table: { fallbackVersionId: 'v0', versions: [{ versionId: 'v0', state: 'active', newSessionWeight: 1, existingSessions: 'keep' }] } }),
    ); // older
    expect(view.routingOf('bot')).toEqual({ servingVersionIds: ['v1', 'v2'], fallbackVersionId: 'v1', activeVersionIds: ['v1'], allVersionIds: ['v1', 'v2'] });
    expect(view.lists('bot', 'v2')).toBe(true);
    expect(view.lists('bot', 'v0')).toBe(false);
    expect(view.knownAgents()).toEqual(['bot']);
  });

  it('a killed fallback in the table is no fallback; drained versions do not serve', () => {
    const view = new RoutingView('production');
    view.record(
      createEvent('routing.decision', {
        agent: 'bot',
        revision: 3,
        table: {
          fallbackVersionId: 'v1',
          versions: [
            { versionId: 'v1', state: 'killed', newSessionWeight: 0, existingSessions: 'migrate' },
            { versionId: 'v2', state: 'canary', newSessionWeight: 1, existingSessions: 'keep' },
            { versionId: 'v0', state: 'drained', newSessionWeight: 0, existingSessions: 'keep' },
          ],
        },
      }),
    );
    expect(view.routingOf('bot')).toMatchObject({ servingVersionIds: ['v2'], fallbackVersionId: null, activeVersionIds: [] });
  });
});
