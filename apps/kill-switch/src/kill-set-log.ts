import { createHash } from 'node:crypto';
import { createEvent, type IrisEvent } from '@iris/contracts';
import type { NewEvent, StoredEvent } from '@iris/event-store';
import { toNewEvent } from '@iris/runtime';
import type { KillSetState, KillSwitchEvent, KillSwitchEventType } from './domain';

/**
 * How an environment's kill set lives in the event log: one stream per environment holding the decider's events
 * and, in the same append, the `killswitch.set` contract event (the whole set at its new revision) that the outbox
 * publishes on the compacted kill-switch topic.
 */

/** Every decider event type; a Record so that the compiler insists on new ones being listed. */
const DOMAIN_EVENTS: Record<KillSwitchEventType, true> = {
  KillEngaged: true,
  KillReleased: true,
  KillExpired: true,
  FallbackSet: true,
  KillSetRevised: true,
};
const DOMAIN_EVENT_TYPES: ReadonlySet<string> = new Set(Object.keys(DOMAIN_EVENTS));

export const KILL_SET_STREAM_PREFIX = 'killswitch-';

export function killSetStreamId(environment: string): string {
  return `${KILL_SET_STREAM_PREFIX}${environment}`;
}

export function isDomainEvent(stored: StoredEvent): boolean {
  return DOMAIN_EVENT_TYPES.has(stored.type);
}

export function fromStored(stored: StoredEvent): KillSwitchEvent {
  const metadata = stored.metadata as { commandId: string; actor: string; at: string };
  return { type: stored.type, data: stored.data, metadata: { commandId: metadata.commandId, actor: metadata.actor, at: metadata.at } } as KillSwitchEvent;
}

/** Event ids derived from (stream, command, index): appending the same decision twice is the same events to the store. */
export function derivedEventId(streamId: string, commandId: string, index: number): string {
  const hex = createHash('sha256').update(`${streamId}\u0000${commandId}\u0000${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Domain events plus the contract event of the set they lead to (`after`), ready for one atomic append. */
export function toLogEntries(events: readonly KillSwitchEvent[], after: KillSetState, environment: string): NewEvent[] {
  const streamId = killSetStreamId(environment);
  const entries: NewEvent[] = [];
  events.forEach((event, index) => {
    const { commandId, actor, at } = event.metadata;
    entries.push({ id: derivedEventId(streamId, commandId, index), type: event.type, data: event.data, metadata: { commandId, actor, at } });
    if (event.type === 'KillSetRevised') {
      const contract = killSetContractEvent(after, environment, { eventId: derivedEventId(streamId, commandId, 1_000 + index), at, commandId, change: event.data.change });
      entries.push(toNewEvent(contract, { actor, commandId }));
    }
  });
  return entries;
}

/** The whole kill set as the contract event (also used to re-publish it when the topic lost it). */
export function killSetContractEvent(state: KillSetState, environment: string, context: { eventId?: string; at: string; commandId: string; change?: string }): IrisEvent {
  return createEvent(
    'killswitch.set',
    {
      revision: state.revision,
      changedAt: context.at,
      kills: state.kills.map((kill) => ({ ...kill, scope: { ...kill.scope } })),
      fallbacks: Object.entries(state.fallbacks)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([agent, versionId]) => ({ agent, versionId })),
      ...(context.change !== undefined && context.change.length > 0 && { change: context.change }),
    },
    { ...(context.eventId !== undefined && { eventId: context.eventId }), occurredAt: context.at, environment, correlationId: context.commandId },
  );
}
