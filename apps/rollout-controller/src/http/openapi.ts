import { Controller, Get } from '@nestjs/common';
import { Public } from '@iris/auth';
import { z } from 'zod';
import { EvalResultsSchema, ExternalGateResultSchema, FleetPolicySchema, ReasonOptionalSchema, ReasonRequiredSchema, StartRolloutSchema, TargetingSchema } from './request-schemas';

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

const agentParam = { name: 'agent', in: 'path', required: true, schema: { type: 'string' } };
const ifMatch = { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'Act only if the rollout is still at this version (its ETag); 409 otherwise.' };
const errors = {
  '400': { description: 'Invalid body: `errors[]` lists `{ field, reason }`.' },
  '401': { description: 'Missing or unknown bearer token.' },
  '403': { description: 'The token\'s role is below `operator`.' },
  '409': { description: 'Conflicts with the rollout\'s state, with a concurrent command (If-Match), or inside the rollback cooldown.' },
  '422': { description: 'Well-formed but refused: unregistered version, failed preflight, invalid stage plan.' },
};
const ok = (description: string) => ({ '200': { description, content: { 'application/json': {} } } });
const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: jsonSchema(schema) } } });

function action(summary: string, schema: z.ZodType) {
  return { post: { summary, security: [{ bearer: [] }], parameters: [agentParam, ifMatch], requestBody: body(schema), responses: { ...ok('Applied (or already applied with this commandId).'), ...errors } } };
}

/** OpenAPI 3.1 description of the rollout API, built from the same zod schemas that validate requests. */
export function buildOpenApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'Iris rollout controller', version: '1.0.0', description: 'Progressive and rainbow rollouts of agent versions: stages, metric gates, automatic rollback, routing decisions.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths: {
      '/v1/agents/{agent}/rollout': { get: { summary: 'Current rollout, fleet (versions with state and weight) and targeting; ETag = version.', security: [{ bearer: [] }], parameters: [agentParam], responses: ok('Rollout state') } },
      '/v1/agents/{agent}/rollout/history': { get: { summary: 'Every decision of this agent\'s rollouts, in order (audit, replay).', security: [{ bearer: [] }], parameters: [agentParam], responses: ok('Events') } },
      '/v1/agents/{agent}/routing': { get: { summary: 'The routing table last decided (as published on iris.routing.v1).', security: [{ bearer: [] }], parameters: [agentParam], responses: ok('Routing table') } },
      '/v1/agents/{agent}/rollouts': {
        post: {
          summary: 'Start a rollout of a candidate version.',
          description:
            'On a fleet with an active version the candidate goes through the stages, behind the gates. On an empty fleet (the first version of an agent) the rollout completes at once: ' +
            'the candidate becomes active with 100 % of the traffic, without stages or gates; give `baselineVersionId` instead to roll out against a version already serving outside Iris. ' +
            'Stages must increase in traffic and the last must be 100 %.',
          security: [{ bearer: [] }],
          parameters: [agentParam, ifMatch],
          requestBody: body(StartRolloutSchema),
          responses: { '201': { description: 'Started (on an empty fleet: started and completed), or already started with this commandId (`applied: false`).', content: { 'application/json': {} } }, ...errors },
        },
      },
      '/v1/agents/{agent}/rollout/advance': action('Advance to the next stage now.', ReasonOptionalSchema),
      '/v1/agents/{agent}/rollout/pause': action('Pause automatic progress (gates are still recorded).', ReasonRequiredSchema),
      '/v1/agents/{agent}/rollout/resume': action('Resume a paused rollout.', ReasonOptionalSchema),
      '/v1/agents/{agent}/rollout/promote': action('Skip to 100 % and complete.', ReasonOptionalSchema),
      '/v1/agents/{agent}/rollout/abort': action('Stop and restore the pre-rollout routing.', ReasonRequiredSchema),
      '/v1/agents/{agent}/rollout/rollback': action('Roll back to the baseline; the candidate\'s sessions follow the session policy.', ReasonRequiredSchema),
      '/v1/agents/{agent}/rollout/external-gates': action('Record an external gate result (offline eval, safety score, regression suite).', ExternalGateResultSchema),
      '/v1/agents/{agent}/rollout/eval-results': action('Post eval results whole (the quality gates\' metrics dict): one result per quality gate they cover; `missing` names the others.', EvalResultsSchema),
      '/v1/agents/{agent}/fleet-policy': {
        put: { summary: 'Bound the rainbow fleet: maximum live versions and session age; crossing one migrates or ends the oldest draining version\'s sessions.', security: [{ bearer: [] }], parameters: [agentParam, ifMatch], requestBody: body(FleetPolicySchema), responses: { ...ok('Applied'), ...errors } },
      },
      '/v1/agents/{agent}/targeting': {
        put: { summary: 'Replace cohorts (tenants/users/features that get a version first) and debug overrides.', security: [{ bearer: [] }], parameters: [agentParam, ifMatch], requestBody: body(TargetingSchema), responses: { ...ok('Applied'), ...errors } },
      },
    },
  };
}

@Controller()
export class OpenApiController {
  private readonly document = buildOpenApiDocument();

  @Get('docs')
  @Public()
  docs() {
    return this.document;
  }
}
