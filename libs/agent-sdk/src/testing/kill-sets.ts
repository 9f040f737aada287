import { createEvent, type EventOf, type KillData } from '@iris/contracts';

/** A kill as the service publishes it (defaults: engaged at 2025-01-31T12:00Z, never expires, migrate). */
export function kill(killId: string, scope: KillData['scope'], patch: Partial<KillData> = {}): KillData {
  return { killId, scope, reason: 'test', actor: 'oncall', killedAt: '2025-01-31T12:00:00.000Z', expiresAt: null, onKill: 'migrate', allowNoRoute: false, ...patch };
}

/** A validated killswitch.set event of an environment. */
export function killSetEvent(revision: number, kills: KillData[], fallbacks: Record<string, string> = {}, environment = 'production'): EventOf<'killswitch.set'> {
  return createEvent(
    'killswitch.set',
    { revision, changedAt: '2025-01-31T12:00:00.000Z', kills, fallbacks: Object.entries(fallbacks).map(([agent, versionId]) => ({ agent, versionId })) },
    { environment },
  );
}
