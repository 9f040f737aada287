import { z } from 'zod';
import { count, identifier, nonNegative, numberRecord, text } from '../primitives';
import { eventSchema } from '../envelope';

/** Agent telemetry published by agents themselves (topic iris.telemetry.v1, keyed by sessionId). */

const sessionRef = {
  agent: identifier(),
  versionId: identifier(),
  sessionId: identifier(),
  tenant: identifier(),
};

export const UserFeedback = z
  .strictObject({
    score: z.number().min(-1).max(1).optional().describe('Normalised sentiment, -1 (bad) … 1 (good).'),
    rating: z.int().min(1).max(5).optional().describe('Star rating 1…5.'),
    comment: text().optional(),
  })
  .refine((f) => f.score !== undefined || f.rating !== undefined, { error: 'must include score or rating' });

export const AgentSessionStartedV1 = eventSchema(
  'agent.session.started',
  1,
  z.strictObject({
    ...sessionRef,
    feature: identifier().optional(),
    user: identifier().optional(),
  }),
);

export const AgentSessionEndedV1 = eventSchema(
  'agent.session.ended',
  1,
  z.strictObject({
    ...sessionRef,
    feature: identifier().optional(),
    user: identifier().optional(),
    reason: z.string().min(1).max(256).describe('e.g. completed, abandoned, timeout, error, killed'),
    durationMs: nonNegative(),
  }),
);

export const ToolCall = z.strictObject({
  name: identifier(),
  argsHash: identifier().describe('Digest of the call arguments (arguments themselves are not shipped).'),
  ok: z.boolean(),
  latencyMs: nonNegative(),
});

export const RequestError = z.strictObject({
  kind: identifier().describe('e.g. timeout, rate_limited, tool_failure, model_error'),
  message: text(),
});

export const PolicyViolation = z.strictObject({
  policy: identifier(),
  detail: text(),
});

/** On a shadow run's event: what it mirrored (the primary's requestId and sessionId are the event's own). */
export const ShadowRun = z.strictObject({
  primaryVersionId: identifier().describe('The version that served the user this request (the baseline of the comparison).'),
  noise: z
    .boolean()
    .describe('true: the baseline re-run against itself (noise sampling), measuring how much the baseline differs from itself.'),
  stubbedToolCalls: count().describe('Calls to tools declared side-effecting, answered with a stub and never executed.'),
});

/** On a primary's event: a shadow run dispatched for it (the comparator expects its result). */
export const ShadowDispatch = z.strictObject({
  versionId: identifier(),
  noise: z.boolean(),
});

export const AgentRequestCompletedV1 = eventSchema(
  'agent.request.completed',
  1,
  z.strictObject({
    ...sessionRef,
    requestId: identifier(),
    feature: identifier(),
    role: z.enum(['primary', 'shadow']).describe('shadow: a mirrored request whose output was not served.'),
    latencyMs: nonNegative(),
    tokensIn: count(),
    tokensOut: count(),
    costUsd: nonNegative(),
    toolCalls: z.array(ToolCall),
    error: RequestError.nullable(),
    policyViolations: z.array(PolicyViolation),
    outputDigest: identifier().describe('Digest of the output, for shadow comparison without shipping text.'),
    output: z.string().optional().describe('Output text, when the agent is allowed to ship it.'),
    userFeedback: UserFeedback.optional(),
    scores: numberRecord().optional().describe('Online evaluator scores by name, e.g. accuracy, hallucination.'),
    shadow: ShadowRun.optional().describe("role 'shadow' only: the run this event mirrors; requestId and sessionId are the primary's."),
    shadowsDispatched: z
      .array(ShadowDispatch)
      .max(32)
      .optional()
      .describe("role 'primary' only: shadow runs started for this request; one that never reports counts as a shadow failure."),
  }),
);

export const AgentFeedbackRecordedV1 = eventSchema(
  'agent.feedback.recorded',
  1,
  z.strictObject({
    ...sessionRef,
    requestId: identifier(),
    feature: identifier().optional(),
    user: identifier().optional(),
    feedback: UserFeedback,
  }),
);
