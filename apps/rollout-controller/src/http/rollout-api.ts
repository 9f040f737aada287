import { agentName } from '@iris/contracts';
import type { ApiDescription, ApiOperation, ApiResponse } from '@iris/runtime';
import { z } from 'zod';
import {
  EvalResultsSchema,
  ExternalGateResultSchema,
  FleetPolicySchema,
  ReasonOptionalSchema,
  ReasonRequiredSchema,
  StartRolloutSchema,
  TargetingSchema,
} from './request-schemas';

/** The rollout API, described once: the controller validates with these schemas, the document and the contract test come from them. */

export const AgentParam = agentName();
/** `If-Match`: the rollout version (ETag of GET …/rollout), quoted or not, weak or not; `*` matches any version. */
export const IfMatchHeader = z
  .string()
  .regex(/^(\*|(W\/)?"?\d{1,19}"?)$/, { error: 'must be the rollout version (an integer) returned as ETag, or *' })
  .optional()
  .describe('Act only if the rollout is still at this version (its ETag; `*` matches any); 409 otherwise.');

const ETAG = { ETag: { description: 'The rollout version after the command (use it as If-Match).', schema: z.string() } };
const version = z.string().regex(/^\d+$/).describe('Stream version of the agent\'s rollout (also the ETag).');

const CommandResultSchema = z.object({
  agent: z.string(),
  commandId: z.string(),
  version,
  applied: z.boolean().describe('false when this commandId was already applied (nothing changed).'),
  events: z.array(z.looseObject({ type: z.string(), data: z.unknown() })),
  rollout: z.looseObject({ rolloutId: z.string(), status: z.string(), stageIndex: z.int(), stage: z.string().optional() }).nullable().describe('The rollout after the command; null when the agent has none yet.'),
  routingRevision: z.int().min(0),
});

const RolloutStateSchema = z.object({
  agent: z.string(),
  environment: z.string(),
  version,
  rollout: z
    .looseObject({ rolloutId: z.string(), candidateVersionId: z.string(), baselineVersionId: z.string().nullable(), status: z.enum(['running', 'paused', 'completed', 'rolled-back', 'aborted', 'superseded']), stageIndex: z.int().min(0), stages: z.array(z.looseObject({ name: z.string(), trafficPercent: z.number() })) })
    .nullable()
    .describe('The current rollout, or the last one once it ended; null before the first.'),
  fleet: z.array(z.looseObject({ versionId: z.string(), state: z.string(), weightPpm: z.number(), label: z.string().optional() })),
  targeting: z.looseObject({ cohorts: z.array(z.looseObject({})), overrides: z.array(z.looseObject({})) }),
  fleetPolicy: z.looseObject({ maxLiveVersions: z.int().nullable(), maxSessionAgeMs: z.int().nullable(), onForcedDrain: z.enum(['migrate', 'terminate']) }),
  routingRevision: z.int().min(0),
});

const HistorySchema = z.object({
  agent: z.string(),
  environment: z.string(),
  events: z.array(z.object({ position: z.string(), recordedAt: z.string(), event: z.looseObject({ type: z.string() }) })),
});

const RoutingSchema = z.object({
  agent: z.string(),
  environment: z.string(),
  revision: z.int().min(0),
  table: z.looseObject({ versions: z.array(z.looseObject({ versionId: z.string() })) }).nullable().describe('As published on iris.routing.v1; null before the first decision.'),
});

const EvalResultsResponseSchema = z.object({
  agent: z.string(),
  commandId: z.string(),
  version,
  verdicts: z.array(z.unknown()),
  missing: z.array(z.string()).describe('Quality gates the results did not cover.'),
});

const conflict: ApiResponse = { description: 'Conflicts with the rollout\'s state (none in progress, paused, cooldown) or with a concurrent command (If-Match: `currentVersion`).' };
const refused: ApiResponse = { description: 'Well-formed but refused: unregistered version, failed preflight, invalid stage plan.' };
const unknownVersion: ApiResponse = { description: 'A version the command names is not in the fleet.' };

const path = (suffix: string) => `/v1/agents/{agent}${suffix}`;
const agentOnly = { agent: AgentParam };

function action(name: string, operationId: string, summary: string, body: z.ZodType): ApiOperation {
  return {
    method: 'post',
    path: path(`/rollout/${name}`),
    operationId,
    summary,
    tags: ['rollout actions'],
    access: 'operator',
    pathParams: agentOnly,
    headers: { 'If-Match': IfMatchHeader },
    body: { schema: body },
    responses: { 200: { description: 'Applied (or already applied with this commandId: `applied: false`).', schema: CommandResultSchema, headers: ETAG }, 404: unknownVersion, 409: conflict, 422: refused },
  };
}

export const ROLLOUT_API: ApiDescription = {
  title: 'Iris rollout controller',
  description: 'Progressive and rainbow rollouts of agent versions: stages, metric gates, automatic rollback, routing decisions. Viewers read; operators act. Every action is a command with an id (a retry with the same `commandId` changes nothing).',
  operations: [
    {
      method: 'get',
      path: path('/rollout'),
      operationId: 'getRollout',
      summary: 'Current rollout, fleet (versions with state and weight) and targeting; ETag = version.',
      tags: ['rollouts'],
      access: 'viewer',
      pathParams: agentOnly,
      responses: { 200: { description: 'Rollout state.', schema: RolloutStateSchema, headers: ETAG } },
    },
    {
      method: 'get',
      path: path('/rollout/history'),
      operationId: 'getRolloutHistory',
      summary: 'Every decision of this agent\'s rollouts, in order (audit, replay).',
      tags: ['rollouts'],
      access: 'viewer',
      pathParams: agentOnly,
      responses: { 200: { description: 'Events.', schema: HistorySchema } },
    },
    {
      method: 'get',
      path: path('/routing'),
      operationId: 'getRouting',
      summary: 'The routing table last decided (as published on iris.routing.v1).',
      tags: ['rollouts'],
      access: 'viewer',
      pathParams: agentOnly,
      responses: { 200: { description: 'Routing table.', schema: RoutingSchema } },
    },
    {
      method: 'post',
      path: path('/rollouts'),
      operationId: 'startRollout',
      summary: 'Start a rollout of a candidate version.',
      description:
        'On a fleet with an active version the candidate goes through the stages, behind the gates. On an empty fleet (the first version of an agent) the rollout completes at once: ' +
        'the candidate becomes active with 100 % of the traffic, without stages or gates; give `baselineVersionId` instead to roll out against a version already serving outside Iris. ' +
        'Stages must increase in traffic and the last must be 100 %. `qualityGates` is the seed\'s quality_gates.yaml (YAML text, or its JSON form `{ gates: [...] }`), checked field by field.',
      tags: ['rollouts'],
      access: 'operator',
      pathParams: agentOnly,
      headers: { 'If-Match': IfMatchHeader },
      body: { schema: StartRolloutSchema },
      responses: {
        201: { description: 'Started (on an empty fleet: started and completed), or already started with this commandId (`applied: false`).', schema: CommandResultSchema, headers: ETAG },
        404: unknownVersion,
        409: conflict,
        422: refused,
      },
    },
    action('advance', 'advanceRollout', 'Advance to the next stage now.', ReasonOptionalSchema),
    action('pause', 'pauseRollout', 'Pause automatic progress (gates are still recorded).', ReasonRequiredSchema),
    action('resume', 'resumeRollout', 'Resume a paused rollout.', ReasonOptionalSchema),
    action('promote', 'promoteRollout', 'Skip to 100 % and complete.', ReasonOptionalSchema),
    action('abort', 'abortRollout', 'Stop and restore the pre-rollout routing.', ReasonRequiredSchema),
    action('rollback', 'rollBackRollout', 'Roll back to the baseline; the candidate\'s sessions follow the session policy.', ReasonRequiredSchema),
    action('external-gates', 'recordExternalGate', 'Record an external gate result (offline eval, safety score, regression suite).', ExternalGateResultSchema),
    {
      method: 'post',
      path: path('/rollout/eval-results'),
      operationId: 'postEvalResults',
      summary: 'Post eval results whole (the quality gates\' metrics dict): one result per quality gate they cover; `missing` names the others.',
      tags: ['rollout actions'],
      access: 'operator',
      pathParams: agentOnly,
      body: { schema: EvalResultsSchema },
      responses: { 200: { description: 'Recorded.', schema: EvalResultsResponseSchema }, 409: conflict, 422: refused },
    },
    {
      method: 'put',
      path: path('/fleet-policy'),
      operationId: 'putFleetPolicy',
      summary: 'Bound the rainbow fleet: maximum live versions and session age; crossing one migrates or ends the oldest draining version\'s sessions.',
      tags: ['fleet'],
      access: 'operator',
      pathParams: agentOnly,
      headers: { 'If-Match': IfMatchHeader },
      body: { schema: FleetPolicySchema },
      responses: { 200: { description: 'Applied.', schema: CommandResultSchema, headers: ETAG }, 409: conflict, 422: refused },
    },
    {
      method: 'put',
      path: path('/targeting'),
      operationId: 'putTargeting',
      summary: 'Replace cohorts (tenants/users/features that get a version first) and debug overrides.',
      tags: ['fleet'],
      access: 'operator',
      pathParams: agentOnly,
      headers: { 'If-Match': IfMatchHeader },
      body: { schema: TargetingSchema },
      responses: { 200: { description: 'Applied.', schema: CommandResultSchema, headers: ETAG }, 404: unknownVersion, 409: conflict, 422: refused },
    },
  ],
};
