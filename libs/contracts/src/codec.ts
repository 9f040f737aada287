import { z } from 'zod';
import { EVENT_CATALOG, EventType, IrisEvent, supportedVersions } from './catalog';
import type { AnyEventSchema } from './envelope';
import { ContractViolationError, ROOT_PATH } from './errors';
import { contractErrorMessage, toContractIssues } from './issue-format';
import { findUnstorableField, jsonTextMayHoldUnstorable } from './storable-json';
import { isCanonicalTelemetryEvent } from './telemetry-fast-path';

/** Largest accepted message, in bytes (checked before parsing). */
export const MAX_MESSAGE_BYTES = 1_048_576;

/** type → schemaVersion → AOT-compiled schema: decode does one map lookup, never a union scan. */
const COMPILED: ReadonlyMap<string, ReadonlyMap<number, AnyEventSchema>> = new Map(
  Object.entries(EVENT_CATALOG).map(([type, versions]) => [
    type,
    new Map(Object.entries(versions).map(([version, schema]) => [Number(version), z.compile(schema as AnyEventSchema)])),
  ]),
);

const PARSE_PARAMS = { error: contractErrorMessage };

/**
 * Decodes one Kafka message value into a validated event.
 * Throws ContractViolationError (code CONTRACT_VIOLATION) naming the offending field(s).
 * A telemetry event already in the exact shape zod would return is returned as parsed (fast path, same result);
 * everything else goes through the zod schema.
 */
export function decodeMessage(bytes: Buffer | string | null | undefined): IrisEvent {
  if (bytes == null || bytes.length === 0) {
    throw ContractViolationError.single('EMPTY', ROOT_PATH, 'message is empty');
  }
  assertWithinLimit(bytes);
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw ContractViolationError.single('NOT_JSON', ROOT_PATH, `is not valid JSON (${(error as Error).message})`);
  }
  if (jsonTextMayHoldUnstorable(text, typeof bytes !== 'string')) assertStorable(parsed);
  if (isCanonicalTelemetryEvent(parsed)) return parsed as IrisEvent;
  return validateEvent(parsed);
}

/** Refuses strings PostgreSQL cannot store (NUL, unpaired surrogates) and runaway nesting, naming the field. */
export function assertStorable(parsed: unknown): void {
  const unstorable = findUnstorableField(parsed, '');
  if (!unstorable) return;
  const eventType = typeof (parsed as { type?: unknown })?.type === 'string' ? (parsed as { type: string }).type : undefined;
  throw ContractViolationError.single('INVALID_FIELDS', unstorable.field || ROOT_PATH, unstorable.reason, eventType);
}

/** Validates an in-memory object (e.g. before producing), storable strings included; returns it with defaults applied. */
export function validateEvent(input: unknown): IrisEvent {
  assertStorable(input);
  return validateEventShape(input);
}

/**
 * Validates against the schema only, without the storable-strings walk: for a hot producer that checks its serialized
 * text instead (`jsonTextMayHoldUnstorable(text, true)`, then `assertStorable`), as the agent SDK does.
 */
export function validateEventShape(input: unknown): IrisEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw ContractViolationError.single('NOT_AN_OBJECT', ROOT_PATH, 'must be a JSON object');
  }
  const { type, schemaVersion } = input as { type?: unknown; schemaVersion?: unknown };
  const versions = typeof type === 'string' ? COMPILED.get(type) : undefined;
  if (!versions) {
    const message =
      type === undefined ? 'is required' : `unknown event type ${JSON.stringify(type)} (known: ${Object.keys(EVENT_CATALOG).join(', ')})`;
    throw ContractViolationError.single('UNKNOWN_TYPE', 'type', message);
  }
  const schema = typeof schemaVersion === 'number' ? versions.get(schemaVersion) : undefined;
  if (!schema) {
    const supported = supportedVersions(type as EventType).join(', ');
    const got = schemaVersion === undefined ? 'is required' : `unsupported version ${JSON.stringify(schemaVersion)}`;
    throw ContractViolationError.single('UNSUPPORTED_VERSION', 'schemaVersion', `${got} for ${type} (supported: ${supported})`, type as string);
  }
  const result = schema.safeParse(input, PARSE_PARAMS);
  if (!result.success) {
    throw new ContractViolationError('INVALID_FIELDS', toContractIssues(result.error.issues), type as string);
  }
  return result.data as IrisEvent;
}

/** Validates, then serialises to the bytes put on Kafka. */
export function encodeMessage(event: IrisEvent | Record<string, unknown>): Buffer {
  const bytes = Buffer.from(JSON.stringify(validateEvent(event)), 'utf8');
  assertWithinLimit(bytes);
  return bytes;
}

function assertWithinLimit(bytes: Buffer | string): void {
  // A UTF-8 string takes at most 3 bytes per UTF-16 unit: short strings need no measuring.
  if (typeof bytes === 'string' && bytes.length * 3 <= MAX_MESSAGE_BYTES) return;
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes, 'utf8') : bytes.length;
  if (size > MAX_MESSAGE_BYTES) {
    throw ContractViolationError.single('TOO_LARGE', ROOT_PATH, `is ${size} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit`);
  }
}
