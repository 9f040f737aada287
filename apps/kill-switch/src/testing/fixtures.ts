import { createEvent, exampleOf, type EventOf } from '@iris/contracts';

/** A registry announcement of a test version. */
export function registeredEvent(agent: string, versionId: string): EventOf<'registry.version.registered'> {
  const example = exampleOf('registry.version.registered');
  return createEvent('registry.version.registered', { ...example.data, agent, versionId, label: `1.0.${versionId.length}-${versionId}` }) as EventOf<'registry.version.registered'>;
}

/** The routing table of `agent` in `environment`: v1 active (the fallback) and v2 canary, half each. */
export function routingDecisionEvent(agent: string, environment: string, revision = 1): EventOf<'routing.decision'> {
  return createEvent(
    'routing.decision',
    {
      agent,
      revision,
      table: {
        fallbackVersionId: 'v1',
        versions: [
          { versionId: 'v1', state: 'active', newSessionWeight: 0.5, existingSessions: 'keep' },
          { versionId: 'v2', state: 'canary', newSessionWeight: 0.5, existingSessions: 'keep' },
        ],
      },
    },
    { environment },
  ) as EventOf<'routing.decision'>;
}
