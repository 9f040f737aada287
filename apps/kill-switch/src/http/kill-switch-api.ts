import { agentName, identifier, Kill } from '@iris/contracts';
import { ErrorResponseSchema, type ApiDescription, type ApiResponse } from '@iris/runtime';
import { z } from 'zod';
import { FallbackRequestSchema, KillRequestSchema, ReleaseRequestSchema } from './request-schemas';

/** The kill-switch API, described once: the controller validates with these schemas, the document and the contract test come from them. */

export const AgentParam = agentName();
export const KillIdParam = identifier().describe('The kill\'s id (as given at engage, or generated: `kill-<uuid>`).');

const KillSetSchema = z.object({
  environment: z.string(),
  revision: z.int().min(0).describe('Grows with every change of the environment\'s kill set.'),
  kills: z.array(Kill).describe('Every kill in force.'),
  fallbacks: z.record(z.string(), z.string()).describe('Configured safe fallback version per agent.'),
});

const AgentKillsSchema = z.object({
  agent: z.string(),
  environment: z.string(),
  revision: z.int().min(0),
  kills: z.array(Kill).describe('Kills that apply to the agent: its own and those across agents.'),
  fallback: z.object({
    configured: z.string().nullable(),
    effective: z.string().nullable().describe('Where killed traffic of any tenant or feature not named by a kill goes; null: nowhere.'),
    source: z.enum(['configured', 'routing']).nullable(),
  }),
});

const inForce = {
  killSet: KillSetSchema.describe('The environment\'s kill set now in force.'),
  agent: AgentKillsSchema.optional().describe('The named agent\'s kills and fallback (when the command names an agent).'),
};
const applied = z.boolean().describe('false when nothing changed (a retried commandId, a fallback already set).');

const EngagedSchema = z.object({ applied, kill: Kill.nullable().describe('The kill in force; null when a retried command\'s kill has since ended.'), ...inForce });
const ReleasedSchema = z.object({ applied, released: z.string().describe('The kill id.'), ...inForce });
const FallbackSetSchema = z.object({ applied, ...inForce });
const OneKillSchema = z.object({ kill: Kill, ...inForce });

const StrandingSchema = ErrorResponseSchema.extend({
  stranded: z
    .array(z.object({ agent: z.string(), tenant: z.string().optional(), feature: z.string().optional() }))
    .optional()
    .describe('NO_ROUTE_LEFT: the tenant × feature slices the kill would leave with no version (absent field: any).'),
  killId: z.string().optional().describe('KILL_EXISTS: the kill already in force.'),
});

const unknownAgentOrVersion: ApiResponse = { description: '`UNKNOWN_AGENT` / `UNKNOWN_VERSION`: the agent or version named is not registered (nor in its routing table).' };
const unknownKill: ApiResponse = { description: '`KILL_NOT_FOUND`: no kill of this id is in force (released, expired or never engaged).' };

const tags = ['kills'];

export const KILL_SWITCH_API: ApiDescription = {
  title: 'Iris kill switch',
  description:
    'Instant kills of agent versions, agents, tenants, features or everything; applied by every SDK in route(). Operators engage and release kills and name ' +
    'fallbacks; viewers read. Each answer to a command carries `killSet` (the environment\'s kills and revision) and, when an agent is named, `agent` ' +
    '(its kills and where its killed traffic goes). Every command takes an optional `commandId`: a retry with the same id changes nothing.',
  operations: [
    {
      method: 'get',
      path: '/v1/kills',
      operationId: 'listKills',
      summary: 'The environment\'s kill set in force, its revision and the configured fallbacks.',
      tags,
      access: 'viewer',
      responses: { 200: { description: 'The kill set.', schema: KillSetSchema } },
    },
    {
      method: 'post',
      path: '/v1/kills',
      operationId: 'engageKill',
      summary: 'Engage a kill.',
      description:
        'A kill that would leave some tenant × feature of an agent with no version to serve it is refused (409 `NO_ROUTE_LEFT`, `stranded` names the slices) ' +
        'unless it says `allowNoRoute: true`. Bad fields are 400 `INVALID_REQUEST`; a well-formed kill the rules refuse (an `expiresAt` in the past) is 400 `INVALID_KILL`.',
      tags,
      access: 'operator',
      body: { schema: KillRequestSchema },
      responses: {
        201: { description: 'Engaged (or already engaged with this commandId: `applied: false`).', schema: EngagedSchema },
        404: unknownAgentOrVersion,
        409: {
          description: '`KILL_EXISTS`: a kill with this id is in force; `TOO_MANY_KILLS`: the environment holds the most kills it may; `NO_ROUTE_LEFT`: the kill would strand traffic (`stranded`).',
          schema: StrandingSchema,
        },
      },
    },
    {
      method: 'get',
      path: '/v1/kills/{killId}',
      operationId: 'getKill',
      summary: 'One kill in force, with the kill set and its agent\'s view.',
      tags,
      access: 'viewer',
      pathParams: { killId: KillIdParam },
      responses: { 200: { description: 'The kill.', schema: OneKillSchema }, 404: unknownKill },
    },
    {
      method: 'delete',
      path: '/v1/kills/{killId}',
      operationId: 'releaseKill',
      summary: 'Release a kill (the body, optional, gives a reason and a commandId).',
      tags,
      access: 'operator',
      pathParams: { killId: KillIdParam },
      body: { schema: ReleaseRequestSchema, required: false },
      responses: { 200: { description: 'Released (or already released with this commandId: `applied: false`).', schema: ReleasedSchema }, 404: unknownKill },
    },
    {
      method: 'post',
      path: '/v1/kills/{killId}/release',
      operationId: 'releaseKillByPost',
      summary: 'Release a kill (as DELETE, for clients that cannot send a body with DELETE).',
      tags,
      access: 'operator',
      pathParams: { killId: KillIdParam },
      body: { schema: ReleaseRequestSchema, required: false },
      responses: { 200: { description: 'Released (or already released with this commandId: `applied: false`).', schema: ReleasedSchema }, 404: unknownKill },
    },
    {
      method: 'put',
      path: '/v1/agents/{agent}/fallback',
      operationId: 'setFallback',
      summary: 'Name the agent\'s safe fallback version (where killed traffic goes); null clears it.',
      tags: ['fallbacks'],
      access: 'operator',
      pathParams: { agent: AgentParam },
      body: { schema: FallbackRequestSchema },
      responses: { 200: { description: 'Set (`applied: false` when it already was).', schema: FallbackSetSchema }, 404: unknownAgentOrVersion },
    },
    {
      method: 'get',
      path: '/v1/agents/{agent}/kills',
      operationId: 'getAgentKills',
      summary: 'The kills in force for an agent and its effective fallback.',
      tags: ['fallbacks'],
      access: 'viewer',
      pathParams: { agent: AgentParam },
      responses: { 200: { description: 'The agent\'s kills.', schema: AgentKillsSchema }, 404: { description: '`UNKNOWN_AGENT`: no versions of the agent are registered.' } },
    },
  ],
};
