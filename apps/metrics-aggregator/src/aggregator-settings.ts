import type { IrisConfig, MetricsAggregatorSettings } from '@iris/config';

/** The aggregator's own settings: the `METRICS_*` part of the typed configuration (`libs/config`). */
export type AggregatorSettings = MetricsAggregatorSettings;

export function aggregatorSettingsOf(config: IrisConfig): AggregatorSettings {
  if (!config.metricsAggregator) throw new Error(`the configuration was loaded for ${config.service}, not for the metrics aggregator`);
  return config.metricsAggregator;
}
