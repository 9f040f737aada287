import { agentName, slug } from '@iris/contracts';
import type { ApiDescription, ApiOperation } from '@iris/runtime';
import { z } from 'zod';

/** The metrics-aggregator's API, described once: the controller validates with these schemas; the document and the contract test come from them. */

export const AgentParam = agentName();
export const WindowQuery = z.enum(['last', '1m', '5m', '15m']).default('1m').describe('`last`: the last closed window; else the closed windows of the last 1, 5 or 15 minutes.');
export const EnvironmentQuery = slug().max(64).default('production').describe('The environment whose figures to read.');

const AgentMetricsSchema = z.object({
  agent: z.string(),
  environment: z.string(),
  window: z.string(),
  fromMs: z.number().nullable().describe('Start of the span (event time, ms); null before any window closed.'),
  toMs: z.number().nullable(),
  versions: z.array(z.looseObject({ key: z.looseObject({ agent: z.string(), environment: z.string() }) })).describe('Per (version, role): requests, errors, latency, cost, tokens, sessions, …'),
  tenants: z.array(z.looseObject({ key: z.looseObject({ agent: z.string(), environment: z.string() }) })),
});

const agentMetrics = (path: string, operationId: string, deprecated?: boolean): ApiOperation => ({
  method: 'get',
  path,
  operationId,
  summary: deprecated ? 'Alias of GET /v1/agents/{agent}/metrics, kept for one release.' : 'Current per-version and per-tenant figures of an agent over the last closed windows.',
  tags: ['metrics'],
  access: 'viewer',
  pathParams: { agent: AgentParam },
  query: { window: WindowQuery, environment: EnvironmentQuery },
  responses: { 200: { description: 'Figures (empty lists before the first window closed).', schema: AgentMetricsSchema } },
  ...(deprecated && { deprecated }),
});

const prometheus = (path: string, operationId: string, deprecated?: boolean): ApiOperation => ({
  method: 'get',
  path,
  operationId,
  summary: deprecated ? 'Alias of GET /v1/metrics, kept for one release.' : 'Prometheus metrics: events applied, duplicates, redeliveries skipped, late events, dead letters, snapshots, consumer lag, watermarks.',
  tags: ['metrics'],
  access: 'public',
  responses: { 200: { description: 'Prometheus text exposition format 0.0.4.', mediaType: 'text/plain', schema: z.string() } },
  ...(deprecated && { deprecated }),
});

export const METRICS_API: ApiDescription = {
  title: 'Iris metrics-aggregator',
  description: 'Per-version windows of agent telemetry (requests, errors, latency percentiles, cost, tokens, policy violations, sessions), and the aggregator\'s own Prometheus metrics.',
  operations: [
    agentMetrics('/v1/agents/{agent}/metrics', 'getAgentMetrics'),
    prometheus('/v1/metrics', 'getPrometheusMetrics'),
    agentMetrics('/agents/{agent}/metrics', 'getAgentMetricsUnversioned', true),
    prometheus('/metrics', 'getPrometheusMetricsUnversioned', true),
  ],
};
