import { agentName, SHADOW_DIFFERENCE_KINDS, ShadowReportV1 } from '@iris/contracts';
import { ApiError, SchemaParam, type ApiDescription, type ErrorResponse } from '@iris/runtime';
import { z } from 'zod';

/** The shadow API, described once: the controller validates with these schemas, the document and the contract test come from them. */

export const AgentParam = agentName();
export const CandidateParam = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,255}$/, { error: 'must be 1–256 letters, digits, ".", "_", ":", "@" or "-"' })
  .describe('The candidate (shadow) version id.');
export const LimitQuery = z.coerce
  .number<string>({ error: 'must be an integer from 1 to 500' })
  .int({ error: 'must be an integer from 1 to 500' })
  .min(1, { error: 'must be an integer from 1 to 500' })
  .max(500, { error: 'must be an integer from 1 to 500' })
  .optional()
  .describe('How many requests (default 20).');

/**
 * SchemaParam answering a bad parameter with the shadow API's code, `INVALID_REQUEST` (as it has since its first
 * release), in the one error shape.
 */
export class ShadowParam<S extends z.ZodType> extends SchemaParam<S> {
  override transform(value: unknown): z.output<S> {
    try {
      return super.transform(value);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const { message, errors } = error.getResponse() as ErrorResponse;
      throw new ApiError(400, 'INVALID_REQUEST', message, errors);
    }
  }
}

const ShadowReportSchema = ShadowReportV1.shape.data;

const LimitsSchema = z
  .looseObject({
    minPairs: z.number(),
    alpha: z.number(),
    toleratedExcess: z.number(),
    failOnKinds: z.array(z.enum(SHADOW_DIFFERENCE_KINDS)),
    failOnNewTools: z.boolean(),
    failOnRemovedTools: z.boolean(),
    maxCostIncreasePct: z.number(),
    maxLatencyIncreasePct: z.number(),
    maxShadowFailureRate: z.number(),
  })
  .describe('The gate limits the reports are judged with (SHADOW_GATE_*).');

const ReportResponseSchema = z.object({
  agent: z.string(),
  candidateVersionId: z.string(),
  environment: z.string(),
  latest: ShadowReportSchema.extend({ eventId: z.uuid().describe('The `shadow.report` event appended.') })
    .nullable()
    .describe('The last window reported (as published on the shadow.report event); null before the first.'),
  overall: z.array(ShadowReportSchema).describe('Every stored window of the candidate merged, per baseline, judged with the same limits (not published).'),
  limits: LimitsSchema,
});

const DivergentResponseSchema = z.object({
  agent: z.string(),
  candidateVersionId: z.string(),
  requests: z.array(
    z.object({
      sessionId: z.string(),
      requestId: z.string(),
      baselineVersionId: z.string(),
      at: z.string().describe('ISO-8601 instant of the request.'),
      divergence: z.number().describe('How far the candidate diverged (higher: more).'),
      differences: z.array(z.string()).describe('Difference kinds found (decision, tool-sequence, output, …).'),
      comparison: z.unknown().describe('The stored comparison of the pair.'),
      baseline: z.unknown().describe('The primary (baseline) run, or null for a shadow failure.'),
      candidate: z.unknown().describe('The shadow (candidate) run, or null when it failed.'),
    }),
  ),
});

const StatsSchema = z.object({
  pairsCompared: z.int().min(0),
  shadowFailures: z.int().min(0),
  checkpoints: z.int().min(0),
  redeliveriesSkipped: z.int().min(0),
  deadLettered: z.int().min(0),
  reportsAppended: z.int().min(0),
});

const candidateNotFound = { description: '`CANDIDATE_NOT_FOUND`: no shadow comparisons of this candidate (for this agent) within the retention.' };
const path = (suffix: string) => `/v1/agents/{agent}/shadow/{candidate}${suffix}`;
const candidateParams = { agent: AgentParam, candidate: CandidateParam };

export const SHADOW_API: ApiDescription = {
  title: 'Iris shadow comparator',
  description:
    'Pairs each candidate\'s shadow runs with the baseline\'s on the same requests, judges the differences against the noise floor (baseline vs baseline) ' +
    'and publishes a `shadow.report` per candidate and window. Viewers read the reports and the worst-diverging requests. A bad parameter is 400 `INVALID_REQUEST`.',
  operations: [
    {
      method: 'get',
      path: path('/report'),
      operationId: 'getShadowReport',
      summary: 'The candidate\'s last shadow report and every stored window merged, with the gate limits.',
      tags: ['shadow'],
      access: 'viewer',
      pathParams: candidateParams,
      responses: { 200: { description: 'Reports.', schema: ReportResponseSchema }, 404: candidateNotFound },
    },
    {
      method: 'get',
      path: path('/divergent'),
      operationId: 'getDivergentRequests',
      summary: 'The worst-diverging requests (most difference kinds, least similar output first), with both sides.',
      tags: ['shadow'],
      access: 'viewer',
      pathParams: candidateParams,
      query: { limit: LimitQuery },
      responses: { 200: { description: 'Requests.', schema: DivergentResponseSchema }, 404: candidateNotFound },
    },
    {
      method: 'get',
      path: '/v1/shadow/stats',
      operationId: 'getShadowStats',
      summary: 'Counters of this comparator process since it started.',
      tags: ['shadow'],
      access: 'viewer',
      mayBeUnavailable: false,
      responses: { 200: { description: 'Counters.', schema: StatsSchema } },
    },
  ],
};
