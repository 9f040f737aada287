import { randomUUID } from 'node:crypto';
import { EventDataInput, EventOf, EventType, latestVersion } from './catalog';
import { validateEvent } from './codec';
import { DEFAULT_ENVIRONMENT } from './envelope';

export interface EnvelopeOptions {
  /** Defaults to the eventId (the event starts its own chain). */
  correlationId?: string;
  /** eventId of the causing event; defaults to null. */
  causationId?: string | null;
  environment?: string;
  /** Defaults to now. */
  occurredAt?: string | Date;
  eventId?: string;
  /** Defaults to the latest supported version of the type. */
  schemaVersion?: number;
}

/** Fills the envelope around `data` and validates the result (throws ContractViolationError). */
export function createEvent<T extends EventType>(type: T, data: EventDataInput<T>, options: EnvelopeOptions = {}): EventOf<T> {
  const eventId = options.eventId ?? randomUUID();
  const occurredAt = options.occurredAt ?? new Date();
  return validateEvent({
    type,
    schemaVersion: options.schemaVersion ?? latestVersion(type),
    eventId,
    occurredAt: typeof occurredAt === 'string' ? occurredAt : occurredAt.toISOString(),
    correlationId: options.correlationId ?? eventId,
    causationId: options.causationId ?? null,
    environment: options.environment ?? DEFAULT_ENVIRONMENT,
    data,
  }) as EventOf<T>;
}

/** Envelope options for an event caused by `cause`: same correlation, causation = cause.eventId. */
export function causedBy(cause: { eventId: string; correlationId: string; environment: string }): EnvelopeOptions {
  return { correlationId: cause.correlationId, causationId: cause.eventId, environment: cause.environment };
}
