import { encodeMessage, EventType, IrisEvent, isEventType, keyFor, topicFor, validateEvent } from '@iris/contracts';
import type { EventMetadata, NewEvent, StoredEvent } from '@iris/event-store';
import type { OutgoingMessage } from '@iris/messaging';

/** Who and why, recorded with an event in the log beside its envelope. */
export interface CommandContext {
  actor?: string;
  commandId?: string;
}

/** A contract event as an event-log entry: the envelope goes to metadata, the payload to data. */
export function toNewEvent(event: IrisEvent, context: CommandContext = {}): NewEvent {
  const metadata: EventMetadata = {
    schemaVersion: event.schemaVersion,
    occurredAt: event.occurredAt,
    correlationId: event.correlationId,
    causationId: event.causationId ?? undefined,
    environment: event.environment,
    ...(context.actor !== undefined && { actor: context.actor }),
    ...(context.commandId !== undefined && { commandId: context.commandId }),
  };
  return { id: event.eventId, type: event.type, data: event.data, metadata };
}

/** Rebuilds (and re-validates) the contract event from a log entry; undefined for internal, non-contract types. */
export function toContractEvent(stored: StoredEvent): IrisEvent | undefined {
  if (!isEventType(stored.type)) return undefined;
  const meta = stored.metadata;
  return validateEvent({
    type: stored.type as EventType,
    schemaVersion: meta.schemaVersion,
    eventId: stored.eventId,
    occurredAt: meta.occurredAt ?? stored.recordedAt.toISOString(),
    correlationId: meta.correlationId ?? stored.eventId,
    causationId: meta.causationId ?? null,
    environment: meta.environment,
    data: stored.data,
  });
}

/** Groups log entries into Kafka records per topic, keyed as the contracts say; internal events are skipped. */
export function toTopicMessages(events: StoredEvent[]): Map<string, OutgoingMessage[]> {
  const byTopic = new Map<string, OutgoingMessage[]>();
  for (const stored of events) {
    const event = toContractEvent(stored);
    if (!event) continue;
    const topic = topicFor(event.type).name;
    const headers: Record<string, string> = { 'iris-event-type': event.type, 'iris-global-position': stored.globalPosition.toString() };
    if (typeof stored.metadata.actor === 'string') headers['iris-actor'] = stored.metadata.actor;
    const list = byTopic.get(topic) ?? [];
    list.push({ key: keyFor(event), value: encodeMessage(event), headers });
    byTopic.set(topic, list);
  }
  return byTopic;
}
