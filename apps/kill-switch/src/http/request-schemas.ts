import { agentName, contractErrorMessage, ON_KILL, toContractIssues } from '@iris/contracts';
import { ApiError } from '@iris/runtime';
import { z } from 'zod';

/** Request bodies of the kill-switch API; the same schemas validate requests and describe them in OpenAPI. */

const id = () => z.string().trim().min(1).max(256);
const commandId = id().optional().describe('Idempotency key: a retried command with the same id has no further effect.');
const ONE_YEAR_MS = 366 * 24 * 3_600_000;

export const KillScopeSchema = z
  .strictObject({
    agent: agentName().optional(),
    versionId: id().optional().describe('Needs `agent`.'),
    tenant: id().optional(),
    feature: id().optional(),
  })
  .refine((scope) => scope.versionId === undefined || scope.agent !== undefined, { error: 'a version kill must name its agent', path: ['agent'] })
  .describe('What the kill switches off; absent fields match anything. {} is a global kill: every agent to its fallback.');

export const KillRequestSchema = z
  .strictObject({
    killId: id().optional().describe('Defaults to a generated id.'),
    scope: KillScopeSchema,
    reason: z.string().trim().min(1).max(4_096),
    expiresAt: z.iso.datetime({ offset: true }).optional().describe('The kill ends at this instant.'),
    ttlMs: z.int().min(1).max(ONE_YEAR_MS).optional().describe('The kill ends this long after it is engaged.'),
    onKill: z.enum(ON_KILL).default('migrate').describe('Sessions on a killed version move to the fallback (migrate) or end (terminate).'),
    allowNoRoute: z.boolean().default(false).describe('Engage even if some tenant × feature is left with no version (route() answers versionId null).'),
    commandId,
  })
  .refine((body) => body.expiresAt === undefined || body.ttlMs === undefined, { error: 'give expiresAt or ttlMs, not both', path: ['ttlMs'] });

export const ReleaseRequestSchema = z.strictObject({ reason: z.string().trim().min(1).max(4_096).optional(), commandId });

export const FallbackRequestSchema = z.strictObject({
  versionId: id().nullable().describe('The agent\'s safe fallback version (e.g. a simple workflow or FAQ bot); null clears it.'),
  commandId,
});

/** Parses a request body; 400 `INVALID_REQUEST` in the one error shape, one `{ field, reason }` per offending field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {}, { error: contractErrorMessage });
  if (result.success) return result.data;
  const errors = toContractIssues(result.error.issues).map((issue) => ({ field: issue.path, reason: issue.message }));
  throw new ApiError(400, 'INVALID_REQUEST', 'Invalid request body', errors);
}
