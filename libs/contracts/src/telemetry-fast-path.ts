import { SLUG_PATTERN } from './primitives';
import { AgentRequestCompletedV1 } from './events/agent';

/**
 * Decode fast path for the telemetry events (the bulk of all traffic): a hand-written check that a freshly
 * JSON-parsed value is what the zod schema would return unchanged. It is sound, not complete: `true` means zod
 * accepts the value and its output equals it key for key (same keys in schema order, defaults already
 * present), so decodeMessage can return the parsed object itself — no zod pass, no copy. Anything else —
 * invalid, keys in another order, a default to fill in, an unusual key such as `__proto__` — gives `false` and
 * goes to zod, which builds the result or the error. Only JSON values come here (no undefined, getters,
 * class instances). Equivalence with zod is property-tested (telemetry-fast-path.unit.spec.ts).
 */
export function isCanonicalTelemetryEvent(value: unknown): boolean {
  if (!isObject(value)) return false;
  const event = value as Record<string, unknown>;
  if (event.schemaVersion !== 1) return false;
  let checkData: (data: Record<string, unknown>) => boolean;
  switch (event.type) {
    case 'agent.request.completed':
      checkData = requestCompleted;
      break;
    case 'agent.session.started':
      checkData = sessionStarted;
      break;
    case 'agent.session.ended':
      checkData = sessionEnded;
      break;
    case 'agent.feedback.recorded':
      checkData = feedbackRecorded;
      break;
    default:
      return false;
  }
  return (
    keysInOrder(event, ENVELOPE_KEYS) &&
    isUuid(event.eventId) &&
    isTimestamp(event.occurredAt) &&
    isIdentifier(event.correlationId) &&
    (event.causationId === null || isIdentifier(event.causationId)) &&
    typeof event.environment === 'string' && // absent: zod fills in the default, so not canonical
    SLUG_PATTERN.test(event.environment) &&
    isObject(event.data) &&
    checkData(event.data as Record<string, unknown>)
  );
}

/** Key order of each object, as in the schemas (a test pins them to the zod shapes). */
export const ENVELOPE_KEYS = ['type', 'schemaVersion', 'eventId', 'occurredAt', 'correlationId', 'causationId', 'environment', 'data'] as const;
const SESSION_REF = ['agent', 'versionId', 'sessionId', 'tenant'] as const;
export const DATA_KEYS = {
  'agent.session.started': [...SESSION_REF, 'feature', 'user'],
  'agent.session.ended': [...SESSION_REF, 'feature', 'user', 'reason', 'durationMs'],
  'agent.request.completed': [
    ...SESSION_REF,
    'requestId',
    'feature',
    'role',
    'latencyMs',
    'tokensIn',
    'tokensOut',
    'costUsd',
    'toolCalls',
    'error',
    'policyViolations',
    'outputDigest',
    'output',
    'userFeedback',
    'scores',
    'shadow',
    'shadowsDispatched',
  ],
  'agent.feedback.recorded': [...SESSION_REF, 'requestId', 'feature', 'user', 'feedback'],
} as const;
export const TOOL_CALL_KEYS = ['name', 'argsHash', 'ok', 'latencyMs'] as const;
export const REQUEST_ERROR_KEYS = ['kind', 'message'] as const;
export const POLICY_VIOLATION_KEYS = ['policy', 'detail'] as const;
export const USER_FEEDBACK_KEYS = ['score', 'rating', 'comment'] as const;
export const SHADOW_RUN_KEYS = ['primaryVersionId', 'noise', 'stubbedToolCalls'] as const;
export const SHADOW_DISPATCH_KEYS = ['versionId', 'noise'] as const;

/** The very patterns zod checks (taken from the compiled schema, so they cannot drift). */
const UUID_PATTERN = patternOf(AgentRequestCompletedV1.shape.eventId);
const TIMESTAMP_PATTERN = patternOf(AgentRequestCompletedV1.shape.occurredAt);

function patternOf(schema: { _zod: { pattern?: RegExp } }): RegExp {
  const pattern = schema._zod.pattern;
  if (!(pattern instanceof RegExp) || pattern.global || pattern.sticky) throw new Error('telemetry fast path: unexpected zod pattern');
  return pattern;
}

function requestCompleted(data: Record<string, unknown>): boolean {
  return (
    keysInOrder(data, DATA_KEYS['agent.request.completed']) &&
    hasSessionRef(data) &&
    isIdentifier(data.requestId) &&
    isIdentifier(data.feature) &&
    (data.role === 'primary' || data.role === 'shadow') &&
    isNonNegative(data.latencyMs) &&
    isCount(data.tokensIn) &&
    isCount(data.tokensOut) &&
    isNonNegative(data.costUsd) &&
    everyItem(data.toolCalls, isToolCall) &&
    (data.error === null || isRequestError(data.error)) &&
    everyItem(data.policyViolations, isPolicyViolation) &&
    isIdentifier(data.outputDigest) &&
    (data.output === undefined || typeof data.output === 'string') &&
    (data.userFeedback === undefined || isUserFeedback(data.userFeedback)) &&
    (data.scores === undefined || isNumberRecord(data.scores)) &&
    (data.shadow === undefined || isShadowRun(data.shadow)) &&
    (data.shadowsDispatched === undefined || (Array.isArray(data.shadowsDispatched) && data.shadowsDispatched.length <= 32 && everyItem(data.shadowsDispatched, isShadowDispatch)))
  );
}

function sessionStarted(data: Record<string, unknown>): boolean {
  return keysInOrder(data, DATA_KEYS['agent.session.started']) && hasSessionRef(data) && isOptionalIdentifier(data.feature) && isOptionalIdentifier(data.user);
}

function sessionEnded(data: Record<string, unknown>): boolean {
  return (
    keysInOrder(data, DATA_KEYS['agent.session.ended']) &&
    hasSessionRef(data) &&
    isOptionalIdentifier(data.feature) &&
    isOptionalIdentifier(data.user) &&
    typeof data.reason === 'string' &&
    data.reason.length >= 1 &&
    data.reason.length <= 256 &&
    isNonNegative(data.durationMs)
  );
}

function feedbackRecorded(data: Record<string, unknown>): boolean {
  return (
    keysInOrder(data, DATA_KEYS['agent.feedback.recorded']) &&
    hasSessionRef(data) &&
    isIdentifier(data.requestId) &&
    isOptionalIdentifier(data.feature) &&
    isOptionalIdentifier(data.user) &&
    isUserFeedback(data.feedback)
  );
}

function hasSessionRef(data: Record<string, unknown>): boolean {
  return isIdentifier(data.agent) && isIdentifier(data.versionId) && isIdentifier(data.sessionId) && isIdentifier(data.tenant);
}

function isToolCall(value: unknown): boolean {
  if (!isObject(value)) return false;
  const call = value as Record<string, unknown>;
  return keysInOrder(call, TOOL_CALL_KEYS) && isIdentifier(call.name) && isIdentifier(call.argsHash) && typeof call.ok === 'boolean' && isNonNegative(call.latencyMs);
}

function isShadowRun(value: unknown): boolean {
  if (!isObject(value)) return false;
  const run = value as Record<string, unknown>;
  return keysInOrder(run, SHADOW_RUN_KEYS) && isIdentifier(run.primaryVersionId) && typeof run.noise === 'boolean' && isCount(run.stubbedToolCalls);
}

function isShadowDispatch(value: unknown): boolean {
  if (!isObject(value)) return false;
  const dispatch = value as Record<string, unknown>;
  return keysInOrder(dispatch, SHADOW_DISPATCH_KEYS) && isIdentifier(dispatch.versionId) && typeof dispatch.noise === 'boolean';
}

function isRequestError(value: unknown): boolean {
  if (!isObject(value)) return false;
  const error = value as Record<string, unknown>;
  return keysInOrder(error, REQUEST_ERROR_KEYS) && isIdentifier(error.kind) && isText(error.message);
}

function isPolicyViolation(value: unknown): boolean {
  if (!isObject(value)) return false;
  const violation = value as Record<string, unknown>;
  return keysInOrder(violation, POLICY_VIOLATION_KEYS) && isIdentifier(violation.policy) && isText(violation.detail);
}

/** UserFeedback: score in [-1, 1] and / or an integer rating 1…5 (at least one), optional comment. */
function isUserFeedback(value: unknown): boolean {
  if (!isObject(value)) return false;
  const feedback = value as Record<string, unknown>;
  const { score, rating, comment } = feedback;
  if (!keysInOrder(feedback, USER_FEEDBACK_KEYS) || (score === undefined && rating === undefined)) return false;
  if (score !== undefined && !(isFiniteNumber(score) && score >= -1 && score <= 1)) return false;
  if (rating !== undefined && !(Number.isSafeInteger(rating) && (rating as number) >= 1 && (rating as number) <= 5)) return false;
  return comment === undefined || isText(comment);
}

/** Evaluator scores: keys of 1…128 characters, finite numbers. `__proto__` (which zod drops) goes to zod. */
function isNumberRecord(value: unknown): boolean {
  if (!isObject(value)) return false;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (key.length < 1 || key.length > 128 || key === '__proto__' || !Object.prototype.hasOwnProperty.call(record, key)) return false;
    if (!isFiniteNumber(record[key])) return false;
  }
  return true;
}

/**
 * Every key of `value` is one of `order`, in that order (keys may be missing: required ones are then caught
 * by their field check, which sees undefined). An unknown key or another order gives false.
 */
function keysInOrder(value: object, order: readonly string[]): boolean {
  let next = 0;
  for (const key in value) {
    while (next < order.length && order[next] !== key) next++;
    if (next === order.length) return false;
    next++;
  }
  return true;
}

function everyItem(value: unknown, check: (item: unknown) => boolean): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (!check(value[i])) return false;
  return true;
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIdentifier(value: unknown): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= 256;
}

function isOptionalIdentifier(value: unknown): boolean {
  return value === undefined || isIdentifier(value);
}

function isText(value: unknown): boolean {
  return typeof value === 'string' && value.length <= 4096;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isNonNegative(value: unknown): boolean {
  return isFiniteNumber(value) && value >= 0;
}

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isUuid(value: unknown): boolean {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

function isTimestamp(value: unknown): boolean {
  return typeof value === 'string' && TIMESTAMP_PATTERN.test(value);
}
