import { ContractViolationError, IrisEvent, keyFor, latestVersion, MAX_MESSAGE_BYTES, validateEvent } from '@iris/contracts';
import type { OutgoingMessage } from '@iris/messaging';
import { EventTime, PendingRecord, TelemetryEventType } from './telemetry-input';

/** Who is publishing: filled into every event. */
export interface TelemetrySource {
  agent: string;
  versionId: string;
  environment: string;
}

export type EncodeResult = { ok: true; message: OutgoingMessage } | { ok: false; error: Error };

const SCHEMA_VERSION: Record<TelemetryEventType, number> = {
  'agent.session.started': latestVersion('agent.session.started'),
  'agent.session.ended': latestVersion('agent.session.ended'),
  'agent.request.completed': latestVersion('agent.request.completed'),
  'agent.feedback.recorded': latestVersion('agent.feedback.recorded'),
};

/** Builds the event of a pending record: envelope + payload, validated against the contracts. Pure. */
export function buildTelemetryEvent(record: PendingRecord, source: TelemetrySource): IrisEvent {
  const input = record.input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw ContractViolationError.single('NOT_AN_OBJECT', 'data', 'record input must be an object');
  }
  const { versionId, occurredAt, correlationId, ...payload } = input as Record<string, unknown>;
  const data: Record<string, unknown> = { agent: source.agent, versionId: versionId ?? source.versionId, ...payload };
  if (record.type === 'agent.request.completed') {
    data.role ??= 'primary';
    data.toolCalls ??= [];
    data.policyViolations ??= [];
    if (data.error === undefined) data.error = null;
  }
  return validateEvent({
    type: record.type,
    schemaVersion: SCHEMA_VERSION[record.type],
    eventId: record.eventId,
    occurredAt: toIsoTime((occurredAt as EventTime | undefined) ?? record.recordedAtMs),
    correlationId: correlationId ?? payload.sessionId,
    causationId: null,
    environment: source.environment,
    data,
  });
}

/** Event → Kafka message keyed per the telemetry topic (sessionId). Never throws: failures are returned. */
export function encodeTelemetryRecord(record: PendingRecord, source: TelemetrySource): EncodeResult {
  try {
    const event = buildTelemetryEvent(record, source);
    const value = JSON.stringify(event);
    if (value.length * 3 > MAX_MESSAGE_BYTES && Buffer.byteLength(value, 'utf8') > MAX_MESSAGE_BYTES) {
      throw ContractViolationError.single('TOO_LARGE', '<message>', `is over the ${MAX_MESSAGE_BYTES}-byte limit`, event.type);
    }
    return { ok: true, message: { key: keyFor(event), value } };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

function toIsoTime(time: EventTime): string {
  if (typeof time === 'string') return time; // validated as an ISO timestamp by the contract
  const date = typeof time === 'number' ? new Date(time) : time;
  return date.toISOString(); // throws RangeError on an invalid date: counted as invalid
}
