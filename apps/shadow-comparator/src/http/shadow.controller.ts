import { Controller, Get, Inject, Param, Query, UseFilters } from '@nestjs/common';
import type { IrisConfig, ShadowComparatorSettings } from '@iris/config';
import { IRIS_CONFIG } from '@iris/runtime';
import { ComparisonStore } from '../comparison-store';
import { buildShadowReport, type ShadowGateLimits } from '../domain';
import { ShadowMetrics } from '../shadow-metrics';
import { SHADOW_COMPARATOR_SETTINGS, SHADOW_GATE_LIMITS } from '../tokens';
import { ShadowErrorFilter, ShadowRequestError } from './shadow-errors';

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,255}$/;

function identifier(field: string, value: string): string {
  if (!IDENTIFIER.test(value)) throw new ShadowRequestError('INVALID_REQUEST', 'Invalid request', [{ field, reason: 'must be 1–256 letters, digits, ".", "_", ":", "@" or "-"' }]);
  return value;
}

function limitOf(raw: string | undefined): number {
  if (raw === undefined) return 20;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 500) {
    throw new ShadowRequestError('INVALID_REQUEST', 'Invalid request', [{ field: 'limit', reason: 'must be an integer from 1 to 500' }]);
  }
  return Number(raw);
}

/** Shadow reports and the worst-diverging requests of a candidate (viewer). */
@Controller('v1')
@UseFilters(ShadowErrorFilter)
export class ShadowController {
  constructor(
    @Inject(ComparisonStore) private readonly store: ComparisonStore,
    @Inject(IRIS_CONFIG) private readonly config: IrisConfig,
    @Inject(SHADOW_COMPARATOR_SETTINGS) private readonly settings: ShadowComparatorSettings,
    @Inject(SHADOW_GATE_LIMITS) private readonly limits: ShadowGateLimits,
    @Inject(ShadowMetrics) private readonly metrics: ShadowMetrics,
  ) {}

  /**
   * `latest`: the last window reported (the `shadow.report` event appended, with its id); `overall`: every stored
   * window of the candidate merged, per baseline, judged with the same limits (not published).
   */
  @Get('agents/:agent/shadow/:candidate/report')
  async report(@Param('agent') agent: string, @Param('candidate') candidate: string) {
    identifier('agent', agent);
    identifier('candidate', candidate);
    const environment = this.config.environment;
    const [latest, overall] = await Promise.all([this.store.latestReport(environment, agent, candidate), this.store.overallTallies(environment, agent, candidate)]);
    if (!latest && overall.length === 0) throw this.notFound(agent, candidate);
    return {
      agent,
      candidateVersionId: candidate,
      environment,
      latest: latest ? { eventId: latest.eventId, ...latest.report } : null,
      overall: overall.map((o) =>
        buildShadowReport({
          agent,
          baselineVersionId: o.baselineVersionId,
          candidateVersionId: candidate,
          windowStartMs: o.fromMs,
          windowEndMs: o.toMs + this.settings.windowMs,
          candidate: o.candidate,
          noise: o.noise,
          limits: this.limits,
        }),
      ),
      limits: this.limits,
    };
  }

  /** The worst-diverging requests (most difference kinds, least similar output first), with both sides. */
  @Get('agents/:agent/shadow/:candidate/divergent')
  async divergent(@Param('agent') agent: string, @Param('candidate') candidate: string, @Query('limit') rawLimit: string | undefined) {
    identifier('agent', agent);
    identifier('candidate', candidate);
    const limit = limitOf(rawLimit);
    const environment = this.config.environment;
    if (!(await this.store.knowsCandidate(environment, agent, candidate))) throw this.notFound(agent, candidate);
    const requests = await this.store.divergent(environment, agent, candidate, limit);
    return {
      agent,
      candidateVersionId: candidate,
      requests: requests.map((r) => ({
        sessionId: r.sessionId,
        requestId: r.requestId,
        baselineVersionId: r.baselineVersionId,
        at: new Date(r.atMs).toISOString(),
        divergence: r.divergence,
        differences: r.differences,
        comparison: r.comparison,
        baseline: r.primaryRun,
        candidate: r.shadowRun,
      })),
    };
  }

  @Get('shadow/stats')
  stats() {
    return this.metrics.snapshot();
  }

  private notFound(agent: string, candidate: string): ShadowRequestError {
    return new ShadowRequestError('CANDIDATE_NOT_FOUND', `no shadow runs of ${candidate} for agent ${agent} are known`, [
      { field: 'candidate', reason: `no shadow comparisons of ${candidate} (agent ${agent}) within the retention` },
    ]);
  }
}
