import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import type { IrisConfig, ShadowComparatorSettings } from '@iris/config';
import { ApiError, IRIS_CONFIG } from '@iris/runtime';
import { ComparisonStore } from '../comparison-store';
import { buildShadowReport, type ShadowGateLimits } from '../domain';
import { ShadowMetrics } from '../shadow-metrics';
import { SHADOW_COMPARATOR_SETTINGS, SHADOW_GATE_LIMITS } from '../tokens';
import { AgentParam, CandidateParam, LimitQuery, ShadowParam } from './shadow-api';

const DEFAULT_LIMIT = 20;

/** Shadow reports and the worst-diverging requests of a candidate (viewer), as documented in SHADOW_API. */
@Controller('v1')
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
  async report(@Param('agent', new ShadowParam('agent', AgentParam)) agent: string, @Param('candidate', new ShadowParam('candidate', CandidateParam)) candidate: string) {
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
  async divergent(
    @Param('agent', new ShadowParam('agent', AgentParam)) agent: string,
    @Param('candidate', new ShadowParam('candidate', CandidateParam)) candidate: string,
    @Query('limit', new ShadowParam('limit', LimitQuery)) requested: number | undefined,
  ) {
    const limit = requested ?? DEFAULT_LIMIT;
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

  private notFound(agent: string, candidate: string): ApiError {
    return new ApiError(404, 'CANDIDATE_NOT_FOUND', `no shadow runs of ${candidate} for agent ${agent} are known`, [
      { field: 'candidate', reason: `no shadow comparisons of ${candidate} (agent ${agent}) within the retention` },
    ]);
  }
}
