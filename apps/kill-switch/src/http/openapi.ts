import { Controller, Get } from '@nestjs/common';
import { Public } from '@iris/auth';
import { z } from 'zod';
import { FallbackRequestSchema, KillRequestSchema, ReleaseRequestSchema } from './request-schemas';

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
const security = [{ bearer: [] }];
const param = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const body = (schema: z.ZodType, required = true) => ({ required, content: { 'application/json': { schema: jsonSchema(schema) } } });
const ok = (description: string) => ({ '200': { description, content: { 'application/json': {} } } });
const errors = {
  '400': { description: 'Invalid body: `errors[]` lists `{ field, reason }`.' },
  '401': { description: 'Missing or unknown bearer token.' },
  '403': { description: 'The token\'s role is below `operator`.' },
  '404': { description: 'Unknown agent, version or kill.' },
  '409': { description: 'A kill with this id is in force, or the kill would leave some tenant × feature with no version (`stranded`; send allowNoRoute to insist).' },
};
const inForce = 'Each answer carries `killSet` (the environment\'s kills and revision) and, when an agent is named, `agent` (its kills and where its killed traffic goes).';

/** OpenAPI 3.1 description of the kill-switch API, built from the zod schemas that validate requests. */
export function buildOpenApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'Iris kill switch', version: '1.0.0', description: `Instant kills of agent versions, agents, tenants, features or everything; applied by every SDK in route(). ${inForce}` },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths: {
      '/v1/kills': {
        get: { summary: 'The environment\'s kill set in force, its revision and the configured fallbacks.', security, responses: ok('Kill set') },
        post: { summary: 'Engage a kill.', security, requestBody: body(KillRequestSchema), responses: { '201': { description: 'Engaged (or already engaged with this commandId: `applied: false`).' }, ...errors } },
      },
      '/v1/kills/{killId}': {
        get: { summary: 'One kill in force.', security, parameters: [param('killId')], responses: { ...ok('Kill'), '404': errors['404'] } },
        delete: { summary: 'Release a kill.', security, parameters: [param('killId')], requestBody: body(ReleaseRequestSchema, false), responses: { ...ok('Released'), ...errors } },
      },
      '/v1/kills/{killId}/release': {
        post: { summary: 'Release a kill (same as DELETE).', security, parameters: [param('killId')], requestBody: body(ReleaseRequestSchema, false), responses: { ...ok('Released'), ...errors } },
      },
      '/v1/agents/{agent}/fallback': {
        put: { summary: 'Name the agent\'s safe fallback version (where killed traffic goes); null clears it.', security, parameters: [param('agent')], requestBody: body(FallbackRequestSchema), responses: { ...ok('Set'), ...errors } },
      },
      '/v1/agents/{agent}/kills': { get: { summary: 'The kills in force for an agent and its effective fallback.', security, parameters: [param('agent')], responses: { ...ok('Agent kills'), '404': errors['404'] } } },
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
