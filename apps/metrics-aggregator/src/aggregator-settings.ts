import type { IrisConfig, MetricsAggregatorSettings } from '@iris/config';

/**
 * The aggregator's own settings: the `METRICS_*` part of the typed configuration (`libs/config`). The clock-skew
 * bound is not among them: the service passes it to the TelemetryAggregator as an option (maxClockSkewMs).
 */
export type AggregatorSettings = Omit<MetricsAggregatorSettings, 'maxClockSkewMs'>;

export function aggregatorSettingsOf(config: IrisConfig): MetricsAggregatorSettings {
  if (!config.metricsAggregator) throw new Error(`the configuration was loaded for ${config.service}, not for the metrics aggregator`);
  return config.metricsAggregator;
}
