import { assertStorable, ContractViolationError, IrisEvent, jsonTextMayHoldUnstorable, keyFor, latestVersion, MAX_MESSAGE_BYTES, validateEventShape } from '@iris/contracts';
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

/** Envelope fields a record input may carry next to its payload: not copied into `data`. */
const ENVELOPE_OPTIONS = new Set(['versionId', 'occurredAt', 'correlationId']);

/**
 * Builds the event of a pending record: envelope + payload, validated against the contracts' schema. Pure. Strings
 * PostgreSQL cannot store are refused by `encodeTelemetryRecord` from the serialized text (cheap when there are none).
 */
export function buildTelemetryEvent(record: PendingRecord, source: TelemetrySource): IrisEvent {
  const input = record.input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw ContractViolationError.single('NOT_AN_OBJECT', 'data', 'record input must be an object');
  }
  const fields = input as Record<string, unknown>;
  // One copy of the payload (own enumerable keys, as a spread would), not a rest-destructure plus a spread.
  const data: Record<string, unknown> = { agent: source.agent, versionId: fields.versionId ?? source.versionId };
  for (const key in fields) {
    if (!ENVELOPE_OPTIONS.has(key) && Object.prototype.hasOwnProperty.call(fields, key)) data[key] = fields[key];
  }
  if (record.type === 'agent.request.completed') {
    data.role ??= 'primary';
    data.toolCalls ??= [];
    data.policyViolations ??= [];
    if (data.error === undefined) data.error = null;
  }
  // Validated once here (the precompiled schema); the caller serialises the result without validating again.
  return validateEventShape({
    type: record.type,
    schemaVersion: SCHEMA_VERSION[record.type],
    eventId: record.eventId,
    occurredAt: toIsoTime((fields.occurredAt as EventTime | undefined) ?? record.recordedAtMs),
    correlationId: fields.correlationId ?? fields.sessionId,
    causationId: null,
    environment: source.environment,
    data,
  });
}

/** Event → Kafka message keyed per the telemetry topic (sessionId). Never throws: failures are returned. */
export function encodeTelemetryRecord(record: PendingRecord, source: TelemetrySource): EncodeResult {
  try {
    const event = buildTelemetryEvent(record, source);
    const value = serializeEvent(event);
    if (jsonTextMayHoldUnstorable(value, true)) assertStorable(event); // NUL or a lone surrogate only ever shows as \u escapes
    if (value.length * 3 > MAX_MESSAGE_BYTES && Buffer.byteLength(value, 'utf8') > MAX_MESSAGE_BYTES) {
      throw ContractViolationError.single('TOO_LARGE', '<message>', `is over the ${MAX_MESSAGE_BYTES}-byte limit`, event.type);
    }
    return { ok: true, message: { key: keyFor(event), value } }; // key: data.sessionId (telemetry topic)
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** Records of one millisecond share their timestamp: cache the last conversion (toISOString is not free). */
let lastIsoMs = NaN;
let lastIso = '';

/** `{"type":…,"schemaVersion":…,"eventId":` of each telemetry event type (literals fixed by the schema). */
const ENVELOPE_PREFIX = new Map<string, string>(
  Object.entries(SCHEMA_VERSION).map(([type, version]) => [type, `{"type":${JSON.stringify(type)},"schemaVersion":${version},"eventId":`]),
);

/**
 * JSON.stringify(event) of a validated telemetry event (same text, same key order as the strict envelope
 * schema), with the envelope written from constants: eventId (a UUID), occurredAt (an ISO timestamp) and
 * environment (a slug) were validated to need no escaping; only correlationId, causationId and data are stringified.
 */
export function serializeEvent(event: IrisEvent): string {
  const prefix = ENVELOPE_PREFIX.get(event.type);
  if (prefix === undefined || event.schemaVersion !== SCHEMA_VERSION[event.type as TelemetryEventType]) return JSON.stringify(event);
  return (
    prefix +
    '"' + event.eventId +
    '","occurredAt":"' + event.occurredAt +
    '","correlationId":' + JSON.stringify(event.correlationId) +
    ',"causationId":' + JSON.stringify(event.causationId) +
    ',"environment":"' + event.environment +
    '","data":' + JSON.stringify(event.data) +
    '}'
  );
}

function toIsoTime(time: EventTime): string {
  if (typeof time === 'string') return time; // validated as an ISO timestamp by the contract
  if (typeof time === 'number') {
    if (time !== lastIsoMs) {
      lastIso = new Date(time).toISOString(); // throws RangeError on an invalid time: counted as invalid
      lastIsoMs = time;
    }
    return lastIso;
  }
  return time.toISOString(); // throws RangeError on an invalid date: counted as invalid
}
