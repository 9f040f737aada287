import { z } from 'zod';
import { identifier, slug, timestamp } from './primitives';

export const DEFAULT_ENVIRONMENT = 'production';

/**
 * Builds the strict schema of one (type, schemaVersion): the common envelope
 * around a type-specific `data` payload. Unknown envelope keys are rejected.
 */
export function eventSchema<T extends string, V extends number, D extends z.ZodType>(type: T, schemaVersion: V, data: D) {
  return z.strictObject({
    type: z.literal(type),
    schemaVersion: z.literal(schemaVersion),
    eventId: z.uuid(),
    occurredAt: timestamp(),
    correlationId: identifier().describe('Groups every event caused by one originating action (e.g. a request).'),
    causationId: identifier().nullable().describe('eventId of the event that directly caused this one, or null.'),
    environment: slug().default(DEFAULT_ENVIRONMENT),
    data,
  });
}

export type AnyEventSchema = ReturnType<typeof eventSchema<string, number, z.ZodType>>;
