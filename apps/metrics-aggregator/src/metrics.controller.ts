import type { z } from 'zod';
import { Controller, Get, Header, Inject, Param, Query } from '@nestjs/common';
import { Public } from '@iris/auth';
import { SchemaParam } from '@iris/runtime';
import { mergeClosedWindows } from './aggregation';
import { AgentParam, EnvironmentQuery, WindowQuery } from './metrics-api';
import { AggregatorMetrics } from './aggregator-metrics';
import { PartitionStore } from './partition-store';
import { METRICS_AGGREGATOR_SETTINGS } from './tokens';
import type { AggregatorSettings } from './aggregator-settings';

const WINDOWS: Record<Exclude<z.output<typeof WindowQuery>, 'last'>, number> = { '1m': 60_000, '5m': 5 * 60_000, '15m': 15 * 60_000 };

/** Current per-version figures of an agent over the last closed windows. */
@Controller()
export class MetricsController {
  constructor(
    private readonly store: PartitionStore,
    private readonly metrics: AggregatorMetrics,
    @Inject(METRICS_AGGREGATOR_SETTINGS) private readonly settings: AggregatorSettings,
  ) {}

  /** `/agents/:agent/metrics` is the path before `/v1`, kept as an alias for a release. */
  @Get(['v1/agents/:agent/metrics', 'agents/:agent/metrics'])
  async agentMetrics(
    @Param('agent', new SchemaParam('agent', AgentParam)) agent: string,
    @Query('window', new SchemaParam('window', WindowQuery)) window: z.output<typeof WindowQuery>,
    @Query('environment', new SchemaParam('environment', EnvironmentQuery)) environment: string,
  ) {
    const spanMs = window === 'last' ? this.settings.windowMs : WINDOWS[window];
    const watermarks = await this.store.watermarks();
    const through = Math.min(...watermarks.map((w) => w.watermarkMs ?? -Infinity));
    if (!Number.isFinite(through)) return { agent, environment, window, fromMs: null, toMs: null, versions: [], tenants: [] };
    const toMs = Math.floor(through / this.settings.windowMs) * this.settings.windowMs;
    const fromMs = toMs - Math.ceil(spanMs / this.settings.windowMs) * this.settings.windowMs;
    const partials = await this.store.partialsBetween(fromMs, toMs);
    if (partials.length === 0) return { agent, environment, window, fromMs, toMs, versions: [], tenants: [] };
    const merged = mergeClosedWindows(partials.map((p) => ({ startMs: fromMs, endMs: toMs, versions: [], tenants: [], accumulators: p.accumulators })));
    const mine = <K extends { agent: string; environment: string }>(entry: { key: K }) => entry.key.agent === agent && entry.key.environment === environment;
    return { agent, environment, window, fromMs, toMs, versions: merged.versions.filter(mine), tenants: merged.tenants.filter(mine) };
  }

  /** `/metrics` is the path before `/v1`, kept as an alias for a release. */
  @Get(['v1/metrics', 'metrics'])
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4')
  prometheus(): string {
    return this.metrics.render();
  }
}
